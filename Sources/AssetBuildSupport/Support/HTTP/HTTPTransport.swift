import Foundation

/// One HTTP request as the transport sends it.
public struct TransportRequest: Sendable {
    public var method: String
    public var url: String
    /// Sent in this order. Values must not contain CR or LF.
    public var headers: [(name: String, value: String)]
    public var body: Data?
    /// How long to wait for the TCP (and TLS) connection.
    public var connectTimeout: Duration
    /// Fail when fewer than 1 byte/s arrived for this long (curl's LOW_SPEED_TIME). This covers
    /// the wait for the response head too, so for a generation it must exceed a whole generation.
    public var stallTimeout: Duration
    /// A limit on the whole transfer; nil for none (long generations must not have one).
    public var totalTimeout: Duration?
    /// The largest body `send` takes: a longer one fails with `TransportError.bodyLimit` set, so a
    /// hostile or broken server cannot fill the memory. (`stream` readers apply their own limits.)
    public var maxBodyBytes: Int
    /// Signs the request with AWS Signature V4 (libcurl's `CURLOPT_AWS_SIGV4`), for S3 and the
    /// services that speak it; nil sends it unsigned.
    public var awsSigV4: AWSSigV4?

    /// What `maxBodyBytes` is unless a request says otherwise: 64 MiB, above any image (32 MiB,
    /// `AnswerLimits.maxImageBytes`) or reference (10 MB) a download can bring.
    public static let defaultMaxBodyBytes = 64 << 20

    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [],
                body: Data? = nil, connectTimeout: Duration = .seconds(10),
                stallTimeout: Duration = .seconds(300), totalTimeout: Duration? = nil,
                maxBodyBytes: Int = TransportRequest.defaultMaxBodyBytes, awsSigV4: AWSSigV4? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.stallTimeout = stallTimeout
        self.totalTimeout = totalTimeout
        self.maxBodyBytes = maxBodyBytes
        self.awsSigV4 = awsSigV4
    }
}

/// What libcurl needs to sign a request with AWS Signature V4. The transport adds the
/// `x-amz-content-sha256` header S3 requires (the body's SHA-256, which curl 7.88 signs as the
/// payload hash) and `x-amz-security-token` for temporary credentials. Its description never
/// shows the secret or the token.
public struct AWSSigV4: Sendable, CustomStringConvertible {
    public var region: String
    public var service: String
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(region: String, service: String = "s3", accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.region = region
        self.service = service
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// `CURLOPT_AWS_SIGV4`'s provider string.
    package var curlProvider: String { "aws:amz:\(region):\(service)" }

    public var description: String { "AWS SigV4 (\(service), \(region), key id \(accessKeyID.prefix(4))…)" }
}

/// Response header fields, looked up case-insensitively. Repeated fields keep every value.
public struct HTTPHeaderFields: Sendable, Hashable {
    public private(set) var fields: [HeaderField]

    public struct HeaderField: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    public init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { HeaderField(name: $0.0, value: $0.1) }
    }

    public mutating func append(name: String, value: String) {
        fields.append(HeaderField(name: name, value: value))
    }

    /// The first value of `name`, compared case-insensitively.
    public subscript(name: String) -> String? {
        let lower = name.lowercased()
        return fields.first { $0.name.lowercased() == lower }?.value
    }
}

/// A whole response.
public struct TransportResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaderFields
    public var body: Data
    /// How many new connections the transfer opened (0 when a kept-alive one was reused).
    public var newConnections: Int

    public init(status: Int, headers: HTTPHeaderFields, body: Data, newConnections: Int = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.newConnections = newConnections
    }
}

/// A response whose head has arrived; the body follows as chunks, as they arrive.
public struct TransportStream: Sendable {
    public var status: Int
    public var headers: HTTPHeaderFields
    /// Ends normally at the end of the body; throws `TransportError` when the connection fails.
    /// Dropping it (or cancelling the task that iterates it) aborts the transfer.
    public var body: AsyncThrowingStream<Data, any Error>

    public init(status: Int, headers: HTTPHeaderFields, body: AsyncThrowingStream<Data, any Error>) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Reads the rest of the body into memory; a body longer than `limit` throws a
    /// `TransportError` with `bodyLimit` set (never a silently shortened body).
    public func collect(limit: Int = TransportRequest.defaultMaxBodyBytes) async throws -> Data {
        var data = Data()
        for try await chunk in body {
            guard data.count + chunk.count <= limit else { throw TransportError.tooLarge(limit: limit) }
            data.append(chunk)
        }
        return data
    }
}

/// A failed transfer: curl's error code and its own words.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var message: String
    /// Whether the whole request, body included, had been handed to the connection when the
    /// transfer failed: the server may then have acted on it (and a generation may be billed).
    public var requestSent: Bool
    /// Set when the transfer was stopped because its body exceeded this many bytes.
    public var bodyLimit: Int?

    public init(code: Int, message: String, requestSent: Bool = false, bodyLimit: Int? = nil) {
        self.code = code
        self.message = message
        self.requestSent = requestSent
        self.bodyLimit = bodyLimit
    }

    /// A body longer than `limit` bytes (curl's "write error", 23, as the write callback refused it).
    public static func tooLarge(limit: Int) -> TransportError {
        TransportError(code: 23, message: "the response body exceeded \(formatBytes(Int64(limit))) (\(limit) bytes), the limit set for it",
                       requestSent: true, bodyLimit: limit)
    }

    /// The connection ended before the body it announced (curl 18), or dropped mid-body.
    public var isTruncation: Bool { code == 18 }

    /// Curl's timeout (28): the connect timeout, or nothing arriving for `stallTimeout`.
    public var isTimeout: Bool { code == 28 }

    public var description: String { "curl error \(code): \(message)" }
}

/// The HTTP seam under the Ark client. `CurlTransport` is the real one; a test double only has to
/// answer these two calls, for example:
///
/// ```swift
/// struct CannedTransport: HTTPTransport {
///     var response: TransportResponse
///     func send(_ r: TransportRequest) async throws -> TransportResponse { response }
///     func stream(_ r: TransportRequest) async throws -> TransportStream {
///         TransportStream(status: response.status, headers: response.headers,
///                         body: AsyncThrowingStream { $0.yield(response.body); $0.finish() })
///     }
/// }
/// ```
///
/// Both calls throw `TransportError` for network failures and `CancellationError` when the task
/// is cancelled. Neither retries anything, and neither sends a request body twice.
public protocol HTTPTransport: Sendable {
    /// Sends the request and returns the whole response, whatever its status.
    func send(_ request: TransportRequest) async throws -> TransportResponse
    /// Sends the request and returns as soon as the response head has arrived.
    func stream(_ request: TransportRequest) async throws -> TransportStream
}
