import AssetBuildCore
import FlyingFox
import FlyingSocks
import Foundation
import Synchronization

/// A loopback server that speaks Volcengine Ark's wire protocol (ark-api.md) with real JPEGs,
/// its validation errors, its streaming format, and scripted or random faults. It records every
/// request so tests can assert on exactly what went over the wire. Thread-safe.
///
/// ```swift
/// let fake = try await FakeArkServer.start()
/// defer { Task { await fake.stop() } }
/// fake.enqueue(.rateLimited(.seconds(7)))            // the next POST gets a 429
/// let client = ArkClient(baseURL: fake.baseURL, apiKey: fake.behavior.apiKey, transport: CurlTransport())
/// ```
public final class FakeArkServer: Sendable {
    /// `http://127.0.0.1:PORT/api/v3`
    public let baseURL: String
    public let port: Int
    private let http: HTTPServer
    private let core: FakeArkCore
    private let runTask: Task<Void, Never>

    private init(http: HTTPServer, core: FakeArkCore, port: Int, runTask: Task<Void, Never>) {
        self.http = http
        self.core = core
        self.port = port
        self.baseURL = "http://127.0.0.1:\(port)/api/v3"
        self.runTask = runTask
    }

    /// Starts listening on 127.0.0.1 (port 0 picks a free one).
    public static func start(_ behavior: FakeArkBehavior = FakeArkBehavior(), port: UInt16 = 0) async throws -> FakeArkServer {
        let core = FakeArkCore(behavior: behavior)
        let http = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: port), timeout: 3600,
                              pool: NoDelayPool(base: HTTPServer.defaultPool()), logger: .disabled,
                              handler: FakeArkRouter(core: core))
        let task = Task { _ = try? await http.run() }
        // Returns as soon as the socket listens; the bound only guards against a hang. On a loaded
        // 2-core machine (a parallel build beside the tests) starting took more than 10 s once.
        try await http.waitUntilListening(timeout: 300)
        guard case .ip4(_, let actual)? = await http.listeningAddress else {
            task.cancel()
            throw SocketError.unsupportedAddress
        }
        core.port.withLock { $0 = Int(actual) }
        return FakeArkServer(http: http, core: core, port: Int(actual), runTask: task)
    }

    /// Stops listening and drops every connection (hung requests end too).
    public func stop() async {
        await http.stop(timeout: 0)
        runTask.cancel()
    }

    // MARK: knobs

    public var behavior: FakeArkBehavior { core.state.withLock { $0.behavior } }

    /// Changes knobs; takes effect for the next request.
    public func configure(_ change: (inout FakeArkBehavior) -> Void) {
        core.state.withLock {
            change(&$0.behavior)
            if let random = $0.behavior.randomFaults, $0.randomSeed != random.seed {
                $0.randomSeed = random.seed
                $0.rng = SeededGenerator(seed: random.seed)
            }
        }
    }

    /// Queues faults for the next POST requests, one each, in order.
    public func enqueue(_ faults: FakeArkFault...) { enqueue(faults) }
    public func enqueue(_ faults: [FakeArkFault]) { core.state.withLock { $0.faults.append(contentsOf: faults) } }

    /// Serves `bytes` at `/static/<name>` (nil stops serving it: 404) and returns its URL. Not
    /// part of Ark: it stands for any web server a manifest's `url:` reference points at.
    @discardableResult
    public func serveStatic(_ name: String, _ bytes: Data?) -> String {
        core.state.withLock { $0.staticFiles[name] = bytes }
        return core.origin + "/static/" + name
    }

    /// The GETs of `/static/` files, in arrival order.
    public var staticRequests: [FakeArkRequest] { requests.filter { $0.path.hasPrefix("/static/") } }

    /// Queues faults for the next image downloads, one each, in order (before `downloadFault`).
    public func enqueueDownload(_ faults: FakeDownloadFault...) {
        core.state.withLock { $0.downloadFaults.append(contentsOf: faults) }
    }

    // MARK: records

    /// Every request received, in arrival order.
    public var requests: [FakeArkRequest] { core.state.withLock { $0.requests } }
    /// `POST …/images/generations` requests.
    public var generationRequests: [FakeArkRequest] { requests.filter { $0.path.hasSuffix("/images/generations") } }
    /// `POST …/chat/completions` requests.
    public var chatRequests: [FakeArkRequest] { requests.filter { $0.path.hasSuffix("/chat/completions") } }
    /// `GET /files/…` image downloads.
    public var downloadRequests: [FakeArkRequest] { requests.filter { $0.path.hasPrefix("/files/") } }
    public func clearRequests() { core.state.withLock { $0.requests.removeAll() } }
}

struct FakeArkRouter: HTTPHandler {
    let core: FakeArkCore
    func handleRequest(_ request: HTTPRequest) async throws -> HTTPResponse {
        try await core.handle(request)
    }
}

/// Where a fake's stored image lives, to regenerate its bytes on download.
struct FakeFile: Sendable { var width: Int; var height: Int; var colour: Int }

/// The server's state and request handling.
final class FakeArkCore: Sendable {
    struct State {
        var behavior: FakeArkBehavior
        var faults: [FakeArkFault] = []
        var downloadFaults: [FakeDownloadFault] = []
        var requests: [FakeArkRequest] = []
        var files: [String: FakeFile] = [:]
        /// Plain files served at `/static/<name>` (a reference URL's image, say).
        var staticFiles: [String: Data] = [:]
        var imageTimes: [String: [ContinuousClock.Instant]] = [:]
        var rng = SeededGenerator(seed: 0)
        var randomSeed: UInt64?
        var counter = 0
    }

    let state: Mutex<State>
    let port = Mutex(0)

    init(behavior: FakeArkBehavior) {
        var s = State(behavior: behavior)
        if let random = behavior.randomFaults {
            s.rng = SeededGenerator(seed: random.seed)
            s.randomSeed = random.seed
        }
        state = Mutex(s)
    }

    var origin: String { "http://127.0.0.1:\(port.withLock { $0 })" }

    func handle(_ request: HTTPRequest) async throws -> HTTPResponse {
        let body = try await request.bodyData
        var headers: [String: String] = [:]
        for (key, value) in request.headers { headers[key.rawValue.lowercased()] = value }
        var peerPort: Int?
        if case .ip4(_, let p)? = request.remoteAddress { peerPort = Int(p) }
        let record = FakeArkRequest(method: request.method.rawValue, path: request.path, query: request.query
            .map { "\($0.name)=\($0.value)" }.joined(separator: "&"), headers: headers, body: body, peerPort: peerPort)
        state.withLock { $0.requests.append(record) }

        switch (request.method, request.path) {
        case (.POST, "/api/v3/images/generations"):
            return try await generations(record)
        case (.POST, "/api/v3/chat/completions"):
            return try await chat(record)
        case (.GET, let path) where path.hasPrefix("/static/"):
            guard let bytes = state.withLock({ $0.staticFiles[String(path.dropFirst("/static/".count))] }) else {
                return HTTPResponse(statusCode: .notFound, body: Data("not found".utf8))
            }
            return HTTPResponse(statusCode: .ok, body: bytes)
        case (.GET, let path) where path.hasPrefix("/files/"):
            if state.withLock({ $0.behavior.downloadsHang }) { try? await Task.sleep(for: .seconds(3600)) }
            let name = String(path.dropFirst("/files/".count))
            let image = name.split(separator: "_").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
            let fault = state.withLock { s -> FakeDownloadFault? in
                if !s.downloadFaults.isEmpty { return s.downloadFaults.removeFirst() }
                guard s.behavior.downloadFaultImages?.contains(image) ?? true else { return nil }
                return s.behavior.downloadFault
            }
            if let fault { return downloadFault(fault, record: record) }
            return download(String(path.dropFirst("/files/".count)))
        default:
            return errorResponse(404, code: "NotFound", message: "The requested resource \(request.path) was not found.",
                                 requestID: newRequestID(), record: record)
        }
    }

    // MARK: shared by both endpoints

    func newRequestID() -> String {
        let n = state.withLock { s -> Int in s.counter += 1; return s.counter }
        let ms = Int(Date().timeIntervalSince1970 * 1000)
        return "021\(ms)" + String(format: "%016x", n)
    }

    /// Authentication, then the fault for this request (scripted first, else random).
    func admit(_ record: FakeArkRequest, requestID: String) -> (HTTPResponse?, FakeArkFault?) {
        let behavior = state.withLock { $0.behavior }
        guard record.header("Authorization") == "Bearer \(behavior.apiKey)" else {
            return (errorResponse(401, code: "AuthenticationError",
                                  message: "The API key or AK/SK in the request is missing or invalid.",
                                  requestID: requestID, record: record), nil)
        }
        let fault = state.withLock { s -> FakeArkFault? in
            if !s.faults.isEmpty { return s.faults.removeFirst() }
            guard let r = s.behavior.randomFaults else { return nil }
            let x = Double.random(in: 0..<1, using: &s.rng)
            var edge = r.rateLimited
            if x < edge { return .rateLimited(s.behavior.rateLimitRetryAfter) }
            edge += r.serverError
            if x < edge { return .serverError }
            edge += r.reset
            if x < edge { return .reset }
            edge += r.truncatedBody
            if x < edge { return .truncatedBody }
            edge += r.truncatedStream
            if x < edge { return .truncatedStream(afterImages: 1) }
            return nil
        }
        return (nil, fault)
    }

    /// Answers for the faults that replace the whole answer; nil for those that shape the body.
    func immediateFault(_ fault: FakeArkFault?, record: FakeArkRequest, requestID: String) async -> HTTPResponse? {
        switch fault {
        case .rateLimited(let retryAfter)?:
            let (message, param) = state.withLock { ($0.behavior.rateLimitMessage, $0.behavior.rateLimitParam) }
            return errorResponse(429, code: "ModelAccountIpmRateLimitExceeded",
                                 message: message ?? "IPM (Images Per Minute) limit of the model is exceeded. Please try again later.",
                                 param: param, requestID: requestID, record: record, retryAfter: retryAfter)
        case .serverError?:
            return errorResponse(500, code: "InternalServiceError",
                                 message: "The service encountered an unexpected internal error.",
                                 requestID: requestID, record: record)
        case .status(let status, let code, let message)?:
            return errorResponse(status, code: code, message: message, requestID: requestID, record: record)
        case .reset?:
            if let peer = record.peerPort { dropConnection(serverPort: port.withLock { $0 }, peerPort: peer) }
            return HTTPResponse(statusCode: .internalServerError)
        case .hang?:
            try? await Task.sleep(for: .seconds(3600))
            return HTTPResponse(statusCode: .gatewayTimeout)
        default:
            return nil
        }
    }

    func responseHeaders(_ record: FakeArkRequest, requestID: String, contentType: String) -> HTTPHeaders {
        let behavior = state.withLock { $0.behavior }
        var headers = HTTPHeaders()
        headers[HTTPHeader("Content-Type")] = contentType
        if behavior.sendsRequestID { headers[HTTPHeader("X-Request-Id")] = requestID }
        if behavior.echoesClientRequestID, let id = record.header("X-Client-Request-Id") {
            headers[HTTPHeader("X-Client-Request-Id")] = id
        }
        return headers
    }

    func errorResponse(_ status: Int, code: String, message: String, param: String = "", requestID: String,
                       record: FakeArkRequest, retryAfter: FakeArkBehavior.RetryAfter = .none) -> HTTPResponse {
        let type: String
        switch status {
        case 400: type = "BadRequest"
        case 401: type = "Unauthorized"
        case 403: type = "Forbidden"
        case 404: type = "NotFound"
        case 429: type = "TooManyRequests"
        default: type = status >= 500 ? "InternalServiceError" : "BadRequest"
        }
        let body: ArkJSON = ["error": ["code": .string(code), "message": .string("\(message) Request ID: \(requestID)"),
                                       "param": .string(param), "type": .string(type)]]
        var headers = responseHeaders(record, requestID: requestID, contentType: "application/json")
        switch retryAfter {
        case .none: break
        case .seconds(let s): headers[HTTPHeader("Retry-After")] = String(s)
        case .httpDate(let s): headers[HTTPHeader("Retry-After")] = Self.httpDate(Date().addingTimeInterval(Double(s)))
        }
        return HTTPResponse(statusCode: HTTPStatusCode(status, phrase: Self.phrase(status)), headers: headers,
                            body: body.encoded())
    }

    static func httpDate(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return f.string(from: date)
    }

    static func phrase(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }

    /// A 200 JSON answer, or one cut off halfway through its announced length.
    func jsonResponse(_ json: ArkJSON, record: FakeArkRequest, requestID: String, truncated: Bool) -> HTTPResponse {
        let data = json.encoded()
        let headers = responseHeaders(record, requestID: requestID, contentType: "application/json")
        guard truncated else { return HTTPResponse(statusCode: .ok, headers: headers, body: data) }
        let (chunks, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        continuation.yield([UInt8](data.prefix(data.count / 2)))
        continuation.finish(throwing: FakeArkStreamAborted())
        return HTTPResponse(statusCode: .ok, headers: headers,
                            body: HTTPBodySequence(from: ChunkSequence(chunks: chunks), count: data.count))
    }

    func downloadFault(_ fault: FakeDownloadFault, record: FakeArkRequest) -> HTTPResponse {
        var headers = HTTPHeaders()
        switch fault {
        case .status(let status):
            headers[HTTPHeader("Content-Type")] = "application/xml"
            return HTTPResponse(statusCode: HTTPStatusCode(status, phrase: Self.phrase(status)), headers: headers,
                                body: Data("<?xml version=\"1.0\"?><Error><Code>ServiceUnavailable</Code></Error>".utf8))
        case .reset:
            if let peer = record.peerPort { dropConnection(serverPort: port.withLock { $0 }, peerPort: peer) }
            return HTTPResponse(statusCode: .internalServerError)
        case .html:
            headers[HTTPHeader("Content-Type")] = "text/html; charset=utf-8"
            return HTTPResponse(statusCode: .ok, headers: headers,
                                body: Data("<!DOCTYPE html><html><body><h1>Please sign in to the network</h1></body></html>".utf8))
        }
    }

    func download(_ name: String) -> HTTPResponse {
        let (file, expired) = state.withLock { ($0.files[name], $0.behavior.downloadsExpired) }
        if expired {
            var headers = HTTPHeaders()
            headers[HTTPHeader("Content-Type")] = "application/xml"
            return HTTPResponse(statusCode: .forbidden, headers: headers,
                                body: Data("<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>".utf8))
        }
        guard let file else {
            var headers = HTTPHeaders()
            headers[HTTPHeader("Content-Type")] = "application/xml"
            return HTTPResponse(statusCode: .notFound, headers: headers,
                                body: Data("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code></Error>".utf8))
        }
        var headers = HTTPHeaders()
        headers[HTTPHeader("Content-Type")] = "image/jpeg"
        let index = name.split(separator: "_").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        return HTTPResponse(statusCode: .ok, headers: headers,
                            body: answerImage(width: file.width, height: file.height, colour: file.colour, index: index))
    }
}
