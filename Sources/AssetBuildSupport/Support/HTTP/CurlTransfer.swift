import CCurl
import Foundation
import Synchronization

/// One request in flight: its easy handle, the buffers curl writes into, and the continuations
/// waiting for it. Created by the submitter, then driven by the loop thread; what both touch is
/// in `state`.
package final class CurlTransfer: Sendable {
    // libcurl's handles are raw pointers (never Sendable): made here, used and freed by the loop thread only.
    package nonisolated(unsafe) let easy: UnsafeMutableRawPointer
    nonisolated(unsafe) private let headerList: UnsafeMutablePointer<curl_slist>?
    nonisolated(unsafe) private let errorBuffer: UnsafeMutablePointer<CChar>
    private let requestBody: Data
    private let streaming: Bool
    /// `send` only: the most body bytes taken (`TransportRequest.maxBodyBytes`); set `overLimit`
    /// and refuse the rest when exceeded.
    private let maxBodyBytes: Int
    /// Set for streams: resumes a transfer paused because its reader fell behind.
    package weak let loop: CurlLoop?
    /// Above `highWater` bytes handed to the reader and not yet taken, curl is paused (it then
    /// re-delivers the same bytes once resumed); below `lowWater` it resumes. This bounds memory
    /// to a few megabytes per stream however fast the server sends.
    package static let highWater = 1 << 20
    package static let lowWater = 256 << 10

    private struct State {
        package var bodyOffset = 0
        package var overLimit = false
        package var status = 0
        package var headers = HTTPHeaderFields()
        package var received = Data()
        package var isFinished = false
        package var cancelRequested = false
        package var wholeContinuation: CheckedContinuation<TransportResponse, any Error>?
        package var headContinuation: CheckedContinuation<(Int, HTTPHeaderFields), any Error>?
        package var bodyContinuation: AsyncThrowingStream<Data, any Error>.Continuation?
        /// Bytes handed to the reader and not yet taken, and whether curl is paused for them.
        package var buffered = 0
        package var paused = false
    }

    private let state = Mutex(State())

    package init(_ request: TransportRequest, configuration: CurlTransport.Configuration, streaming: Bool,
         loop: CurlLoop? = nil) throws {
        guard let easy = curl_easy_init() else {
            throw TransportError(code: 2, message: "curl_easy_init failed")
        }
        self.easy = easy
        self.streaming = streaming
        self.loop = loop
        self.maxBodyBytes = max(0, request.maxBodyBytes)
        self.requestBody = request.body ?? Data()
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers {
            list = curl_slist_append(list, "\(name): \(value)")
        }
        // Never wait for "100 Continue" before sending a large body.
        list = curl_slist_append(list, "Expect:")
        if let signing = request.awsSigV4 {
            // S3 wants the payload's hash in a header; curl signs every x-amz-* header it is given.
            list = curl_slist_append(list, "x-amz-content-sha256: \(SHA256.hash(requestBody).hex)")
            if let token = signing.sessionToken { list = curl_slist_append(list, "x-amz-security-token: \(token)") }
        }
        headerList = list
        configure(request, configuration)
    }

    /// The continuations the submitter waits on; set before the transfer is submitted.
    package func setContinuation(whole: CheckedContinuation<TransportResponse, any Error>) {
        state.withLock { $0.wholeContinuation = whole }
    }

    package func setContinuation(head: CheckedContinuation<(Int, HTTPHeaderFields), any Error>) {
        state.withLock { $0.headContinuation = head }
    }

    package func setContinuation(body: AsyncThrowingStream<Data, any Error>.Continuation) {
        state.withLock { $0.bodyContinuation = body }
    }

    /// Marks the transfer cancelled, for the loop to see even before it takes the transfer in.
    package func requestCancel() { state.withLock { $0.cancelRequested = true } }

    package var isCancelRequested: Bool { state.withLock { $0.cancelRequested } }

    private func configure(_ request: TransportRequest, _ configuration: CurlTransport.Configuration) {
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = ccurl_setopt_str(easy, CURLOPT_URL, request.url)
        _ = ccurl_setopt_str(easy, CURLOPT_PROTOCOLS_STR, "http,https")
        _ = ccurl_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, request.connectTimeout.curlMilliseconds)
        _ = ccurl_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, 1)
        _ = ccurl_setopt_long(easy, CURLOPT_LOW_SPEED_TIME, max(1, request.stallTimeout.curlMilliseconds / 1000))
        if let total = request.totalTimeout {
            _ = ccurl_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, total.curlMilliseconds))
        }
        _ = ccurl_setopt_str(easy, CURLOPT_ACCEPT_ENCODING, "")
        _ = ccurl_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
        _ = ccurl_setopt_long(easy, CURLOPT_TCP_KEEPIDLE, 30)
        _ = ccurl_setopt_long(easy, CURLOPT_TCP_KEEPINTVL, 15)
        _ = ccurl_setopt_long(easy, CURLOPT_MAXAGE_CONN, max(1, configuration.maxIdleReuse.curlMilliseconds / 1000))
        if let ca = configuration.caBundlePath { _ = ccurl_setopt_str(easy, CURLOPT_CAINFO, ca) }
        _ = ccurl_setopt_ptr(easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
        _ = ccurl_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)

        switch request.method.uppercased() {
        case "GET" where request.body == nil:
            _ = ccurl_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case "POST":
            _ = ccurl_setopt_long(easy, CURLOPT_POST, 1)
        case "HEAD" where request.body == nil:
            // A HEAD answer has a Content-Length but no body: without NOBODY curl waits for it.
            _ = ccurl_setopt_long(easy, CURLOPT_NOBODY, 1)
        default:
            _ = ccurl_setopt_str(easy, CURLOPT_CUSTOMREQUEST, request.method)
            if request.body != nil { _ = ccurl_setopt_long(easy, CURLOPT_UPLOAD, 0); _ = ccurl_setopt_long(easy, CURLOPT_POST, 1) }
        }
        if let signing = request.awsSigV4 {
            _ = ccurl_setopt_str(easy, CURLOPT_AWS_SIGV4, signing.curlProvider)
            _ = ccurl_setopt_str(easy, CURLOPT_USERNAME, signing.accessKeyID)
            _ = ccurl_setopt_str(easy, CURLOPT_PASSWORD, signing.secretAccessKey)
        }
        if request.awsSigV4 != nil, request.body != nil {
            // Signed: curl 7.88 hashes the payload from POSTFIELDS only (a read callback's body
            // would be signed as empty), so the body is handed over whole; curl keeps a copy.
            _ = ccurl_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(requestBody.count))
            if requestBody.isEmpty {
                _ = ccurl_setopt_str(easy, CURLOPT_COPYPOSTFIELDS, "")
            } else {
                requestBody.withUnsafeBytes { raw in
                    _ = ccurl_setopt_ptr(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress!))
                }
            }
        } else if request.body != nil || request.method.uppercased() == "POST" {
            _ = ccurl_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(requestBody.count))
            let read: curl_read_callback = { buffer, size, count, userdata in
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
                return transfer.fillRequestBody(buffer!, capacity: size * count)
            }
            _ = ccurl_setopt_ptr(easy, CURLOPT_READFUNCTION, unsafeBitCast(read, to: UnsafeMutableRawPointer.self))
            _ = ccurl_setopt_ptr(easy, CURLOPT_READDATA, me)
        }

        _ = ccurl_setopt_write(easy) { buffer, size, count, userdata in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
            let n = size * count
            switch transfer.bodyReceived(UnsafeRawBufferPointer(start: buffer, count: n)) {
            case .taken: return n
            case .pause: return 0x1000_0001   // CURL_WRITEFUNC_PAUSE: deliver these bytes again after resuming
            case .overLimit: return 0         // fewer than offered: curl stops with CURLE_WRITE_ERROR
            }
        }
        _ = ccurl_setopt_ptr(easy, CURLOPT_WRITEDATA, me)
        _ = ccurl_setopt_header(easy) { buffer, size, count, userdata in
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata!).takeUnretainedValue()
            let n = size * count
            transfer.headerLineReceived(UnsafeRawBufferPointer(start: buffer, count: n))
            return n
        }
        _ = ccurl_setopt_ptr(easy, CURLOPT_HEADERDATA, me)
    }

    // MARK: callbacks (loop thread)

    private func fillRequestBody(_ buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        state.withLock { s in
            let n = min(capacity, requestBody.count - s.bodyOffset)
            guard n > 0 else { return 0 }
            let offset = s.bodyOffset
            requestBody.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress!.advanced(by: offset), byteCount: n)
            }
            s.bodyOffset += n
            return n
        }
    }

    private func headerLineReceived(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            // A new response head (after 1xx, or the first one).
            let parts = line.split(separator: " ", maxSplits: 2)
            state.withLock { s in
                s.headers = HTTPHeaderFields()
                s.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            }
        } else if line.isEmpty {
            if state.withLock({ $0.status >= 200 }) { deliverHead() }
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            state.withLock { $0.headers.append(name: name, value: value) }
        }
    }

    /// What the write callback tells curl about bytes it offered.
    private enum Intake { case taken, pause, overLimit }

    /// Takes the bytes; pauses the transfer until the reader catches up; or, for `send`, refuses
    /// them because the body is over its limit (curl then stops with 23).
    private func bodyReceived(_ bytes: UnsafeRawBufferPointer) -> Intake {
        guard bytes.count > 0 else { return .taken }
        if streaming {
            deliverHead()
            let (accept, reader) = state.withLock { s -> (Bool, AsyncThrowingStream<Data, any Error>.Continuation?) in
                if s.buffered >= Self.highWater {
                    s.paused = true
                    return (false, nil)
                }
                s.buffered += bytes.count
                return (true, s.bodyContinuation)
            }
            guard accept else { return .pause }
            reader?.yield(Data(bytes))
            return .taken
        }
        return state.withLock { s in
            guard s.received.count + bytes.count <= maxBodyBytes else {
                s.overLimit = true
                return .overLimit
            }
            s.received.append(contentsOf: bytes)
            return .taken
        }
    }

    /// The reader took `count` bytes (any thread).
    package func consumed(_ count: Int) {
        let resume: Bool = state.withLock { s in
            s.buffered -= count
            guard s.paused, s.buffered <= Self.lowWater else { return false }
            s.paused = false
            return true
        }
        if resume { loop?.resume(self) }
    }

    private func deliverHead() {
        let waiting = state.withLock { s -> (CheckedContinuation<(Int, HTTPHeaderFields), any Error>, Int, HTTPHeaderFields)? in
            guard let c = s.headContinuation else { return nil }
            s.headContinuation = nil
            return (c, s.status, s.headers)
        }
        if let (c, status, headers) = waiting { c.resume(returning: (status, headers)) }
    }

    // MARK: completion (loop thread)

    package func transportError(_ code: CURLcode) -> TransportError {
        let (overLimit, bodyOffset) = state.withLock { ($0.overLimit, $0.bodyOffset) }
        if overLimit { return .tooLarge(limit: maxBodyBytes) }
        // Handed over whole: the server may have the request even if no answer came.
        let sent = !requestBody.isEmpty && bodyOffset >= requestBody.count
        var message = String(cString: errorBuffer)
        if message.isEmpty { message = String(cString: curl_easy_strerror(code)) }
        if code == CURLE_SEND_FAIL_REWIND {
            // curl wanted to resend the body on a fresh connection after a reused one died
            // without an answer; we never let it (the server may already be working on it).
            message = "the connection closed before any answer; the request was not resent (\(message))"
        }
        return TransportError(code: Int(code.rawValue), message: message, requestSent: sent)
    }

    /// The continuations still waiting, taken out so they are resumed once, outside the lock.
    private struct Waiting {
        package var whole: CheckedContinuation<TransportResponse, any Error>?
        package var head: CheckedContinuation<(Int, HTTPHeaderFields), any Error>?
        package var body: AsyncThrowingStream<Data, any Error>.Continuation?
    }

    /// Marks the transfer finished and takes its continuations; nil when it already was.
    private func takeWaiting(_ update: (inout State) -> Void = { _ in }) -> (Waiting, TransportResponse)? {
        state.withLock { s in
            guard !s.isFinished else { return nil }
            s.isFinished = true
            update(&s)
            defer { (s.wholeContinuation, s.headContinuation, s.bodyContinuation) = (nil, nil, nil) }
            return (Waiting(whole: s.wholeContinuation, head: s.headContinuation, body: s.bodyContinuation),
                    TransportResponse(status: s.status, headers: s.headers, body: s.received, newConnections: 0))
        }
    }

    package func finishSuccessfully() {
        var code = 0
        _ = ccurl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        var connects = 0
        _ = ccurl_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        guard let (waiting, answer) = takeWaiting({ if code != 0 { $0.status = code } }) else { return }
        waiting.whole?.resume(returning: TransportResponse(status: answer.status, headers: answer.headers, body: answer.body,
                                                           newConnections: connects))
        waiting.head?.resume(returning: (answer.status, answer.headers))
        waiting.body?.finish()
    }

    package func finish(error: any Error) {
        guard let (waiting, _) = takeWaiting() else { return }
        waiting.whole?.resume(throwing: error)
        waiting.head?.resume(throwing: error)
        waiting.body?.finish(throwing: error)
    }

    /// Frees the easy handle; called once, after the handle left the multi handle.
    package func cleanup() {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }
}

/// Pulls from an async iterator on behalf of a stream's reader (one reader at a time).
package actor ChunkReader {
    private var iterator: AsyncThrowingStream<Data, any Error>.AsyncIterator
    package init(_ iterator: AsyncThrowingStream<Data, any Error>.AsyncIterator) { self.iterator = iterator }

    package func next() async throws -> Data? {
        // The iterator is a reference to the stream's storage: a copy pulls from the same queue.
        var copy = iterator
        defer { iterator = copy }
        return try await copy.next(isolation: self)
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, never negative.
    fileprivate var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        return max(0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
