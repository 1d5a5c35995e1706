import Foundation
import AssetBuildSupport
import AssetBuildManifest

/// A blob in a remote cache: an action's record (`ac/<action key>`) or an object's bytes
/// (`cas/<sha256>`), as the Bazel HTTP remote-cache protocol names them.
package enum RemotePath: Sendable, Hashable, CustomStringConvertible {
    case ac(String)
    case cas(String)

    package var relative: String {
        switch self {
        case .ac(let key): return "ac/\(key)"
        case .cas(let sha): return "cas/\(sha)"
        }
    }

    package var description: String { relative }
}

/// Why a remote cache could not answer: the server is unreachable, slow, refused us, or answered
/// something other than the protocol's statuses. Never a miss (a miss is `nil` / `false`).
package struct RemoteError: Error, Sendable, CustomStringConvertible {
    package var message: String
    /// The server sent more than the blob can be: a wrong answer, not an outage.
    package var oversized = false
    package init(_ message: String, oversized: Bool = false) {
        self.message = message
        self.oversized = oversized
    }
    package var description: String { message }
}

/// The three calls a remote cache answers. `get` and `has` return nil/false for a blob that is not
/// there; every other failure throws `RemoteError`. Nothing here retries or verifies: the caller
/// (`RemoteCache`) checks every byte it gets.
package protocol RemoteStore: Sendable {
    /// The URL as messages print it (no credentials).
    var displayURL: String { get }
    func get(_ path: RemotePath, limit: Int) async throws -> Data?
    func put(_ path: RemotePath, _ data: Data) async throws
    func has(_ path: RemotePath) async throws -> Bool
}

/// Timeouts for every remote request, so a slow remote never holds a build: connecting, nothing
/// arriving, and the whole transfer.
package struct RemoteTimeouts: Sendable {
    package var connect: Duration = .seconds(5)
    package var stall: Duration = .seconds(15)
    package var total: Duration = .seconds(120)
    package init() {}
}

/// Shared by both protocols: one request through the project's libcurl transport, its status
/// mapped to found / missing / failure.
package struct RemoteHTTP: Sendable {
    package let transport: any HTTPTransport
    package let timeouts: RemoteTimeouts
    /// Headers every request carries (authorization for a Bazel HTTP cache).
    package let headers: [(name: String, value: String)]
    package let signing: AWSSigV4?
    package let displayURL: String

    package func request(_ method: String, _ url: String, body: Data? = nil, limit: Int = 1 << 20,
                         extraHeaders: [(name: String, value: String)] = []) async throws -> TransportResponse {
        let request = TransportRequest(method: method, url: url, headers: headers + extraHeaders, body: body,
                                       connectTimeout: timeouts.connect, stallTimeout: timeouts.stall,
                                       totalTimeout: timeouts.total, maxBodyBytes: limit, awsSigV4: signing)
        do {
            return try await transport.send(request)
        } catch let error as TransportError {
            if error.bodyLimit != nil { throw RemoteError("it sent more than the \(limit) bytes expected", oversized: true) }
            throw RemoteError(error.isTimeout ? "\(displayURL) did not answer in time (\(error.message))"
                              : "\(displayURL) is unreachable (\(error.message))")
        }
    }

    package func get(_ url: String, path: RemotePath, limit: Int) async throws -> Data? {
        let r = try await request("GET", url, limit: limit)
        switch r.status {
        case 200: return r.body
        case 404: return nil
        default: throw failure("GET", path, r)
        }
    }

    package func put(_ url: String, path: RemotePath, _ data: Data) async throws {
        let r = try await request("PUT", url, body: data, extraHeaders: [("Content-Type", "application/octet-stream")])
        guard (200..<300).contains(r.status) else { throw failure("PUT", path, r) }
    }

    package func has(_ url: String, path: RemotePath) async throws -> Bool {
        let r = try await request("HEAD", url)
        switch r.status {
        case 200: return true
        case 404: return false
        default: throw failure("HEAD", path, r)
        }
    }

    private func failure(_ method: String, _ path: RemotePath, _ r: TransportResponse) -> RemoteError {
        let hint = r.status == 401 || r.status == 403
            ? " (check the credentials in the environment: " + (signing == nil ? "ASSETBUILD_REMOTE_BEARER_TOKEN or ASSETBUILD_REMOTE_BASIC_AUTH)" : "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)")
            : ""
        return RemoteError("\(displayURL) answered \(method) \(path) with HTTP \(r.status)\(hint)")
    }
}

/// The Bazel HTTP remote-cache protocol: `PUT/GET/HEAD BASE/ac/<key>` and `BASE/cas/<sha256>`
/// (bazel-remote, nginx with WebDAV, CI caches).
package struct BazelHTTPStore: RemoteStore {
    package let base: String
    package let http: RemoteHTTP
    package var displayURL: String { http.displayURL }

    package init(base: String, transport: any HTTPTransport, authorization: String?, timeouts: RemoteTimeouts = RemoteTimeouts()) {
        self.base = base
        self.http = RemoteHTTP(transport: transport, timeouts: timeouts,
                               headers: authorization.map { [("Authorization", $0)] } ?? [], signing: nil, displayURL: base)
    }

    private func url(_ path: RemotePath) -> String { "\(base)/\(path.relative)" }
    package func get(_ path: RemotePath, limit: Int) async throws -> Data? { try await http.get(url(path), path: path, limit: limit) }
    package func put(_ path: RemotePath, _ data: Data) async throws { try await http.put(url(path), path: path, data) }
    package func has(_ path: RemotePath) async throws -> Bool { try await http.has(url(path), path: path) }
}

/// S3 (AWS, Cloudflare R2, GCS's interoperability API, MinIO): objects `PREFIX/ac/<key>` and
/// `PREFIX/cas/<sha256>` in a bucket, every request signed with libcurl's AWS SigV4. A custom
/// endpoint is addressed path-style (`ENDPOINT/BUCKET/KEY`), AWS's virtual-hosted style.
package struct S3Store: RemoteStore {
    package let bucket: String
    package let prefix: String
    package let endpoint: String?
    package let region: String
    package let http: RemoteHTTP
    package var displayURL: String { http.displayURL }

    package init(bucket: String, prefix: String, endpoint: String?, region: String, signing: AWSSigV4,
                 transport: any HTTPTransport, timeouts: RemoteTimeouts = RemoteTimeouts()) {
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint = endpoint
        self.region = region
        let display = "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)")
        self.http = RemoteHTTP(transport: transport, timeouts: timeouts, headers: [], signing: signing, displayURL: display)
    }

    package func url(_ path: RemotePath) -> String {
        let key = (prefix.isEmpty ? "" : prefix + "/") + path.relative
        if let endpoint { return "\(endpoint)/\(bucket)/\(key)" }
        return "https://\(bucket).s3.\(region).amazonaws.com/\(key)"
    }

    package func get(_ path: RemotePath, limit: Int) async throws -> Data? {
        // S3 answers 403 rather than 404 for a missing key when the credentials may not list the
        // bucket; that is a real refusal too, so it stays an error (with the credentials hint).
        try await http.get(url(path), path: path, limit: limit)
    }
    package func put(_ path: RemotePath, _ data: Data) async throws { try await http.put(url(path), path: path, data) }
    package func has(_ path: RemotePath) async throws -> Bool { try await http.has(url(path), path: path) }
}
