import CCurl
import Foundation

/// One request in flight: its easy handle, the buffers curl writes into, and the continuations
/// waiting for it. Created by the submitter, then touched only by the loop thread.
final class CurlTransfer: @unchecked Sendable {
    let easy: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let requestBody: Data
    private var bodyOffset = 0
    private let streaming: Bool
    /// `send` only: the most body bytes taken (`TransportRequest.maxBodyBytes`); set `overLimit`
    /// and refuse the rest when exceeded.
    private let maxBodyBytes: Int
    private var overLimit = false

    private var status = 0
    private var headers = HTTPHeaderFields()
    private var received = Data()
    private var isFinished = false

    var wholeContinuation: CheckedContinuation<TransportResponse, any Error>?
    var headContinuation: CheckedContinuation<(Int, HTTPHeaderFields), any Error>?
    var bodyContinuation: AsyncThrowingStream<Data, any Error>.Continuation?
    /// Set for streams: resumes a transfer paused because its reader fell behind.
    weak var loop: CurlLoop?
    /// Bytes handed to the reader and not yet taken. Above `highWater` curl is paused (it then
    /// re-delivers the same bytes once resumed); below `lowWater` it resumes. This bounds memory
    /// to a few megabytes per stream however fast the server sends.
    private let flow = NSLock()
    private var buffered = 0
    private var paused = false
    static let highWater = 1 << 20
    static let lowWater = 256 << 10
    /// Guarded by the loop's lock.
    var cancelRequested = false

    func isCancelRequested(_ lock: NSLock) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelRequested
    }

    init(_ request: TransportRequest, configuration: CurlTransport.Configuration, streaming: Bool) throws {
        guard let easy = curl_easy_init() else {
            throw TransportError(code: 2, message: "curl_easy_init failed")
        }
        self.easy = easy
        self.streaming = streaming
        self.maxBodyBytes = max(0, request.maxBodyBytes)
        self.requestBody = request.body ?? Data()
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        configure(request, configuration)
    }

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

        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in request.headers {
            list = curl_slist_append(list, "\(name): \(value)")
        }
        // Never wait for "100 Continue" before sending a large body.
        list = curl_slist_append(list, "Expect:")
        headerList = list
        _ = ccurl_setopt_slist(easy, CURLOPT_HTTPHEADER, list)

        switch request.method.uppercased() {
        case "GET" where request.body == nil:
            _ = ccurl_setopt_long(easy, CURLOPT_HTTPGET, 1)
        case "POST":
            _ = ccurl_setopt_long(easy, CURLOPT_POST, 1)
        default:
            _ = ccurl_setopt_str(easy, CURLOPT_CUSTOMREQUEST, request.method)
            if request.body != nil { _ = ccurl_setopt_long(easy, CURLOPT_UPLOAD, 0); _ = ccurl_setopt_long(easy, CURLOPT_POST, 1) }
        }
        if request.body != nil || request.method.uppercased() == "POST" {
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
            guard transfer.bodyReceived(UnsafeRawBufferPointer(start: buffer, count: n)) else {
                return 0x1000_0001   // CURL_WRITEFUNC_PAUSE: deliver these bytes again after resuming
            }
            return transfer.overLimit ? 0 : n   // fewer than offered: curl stops with CURLE_WRITE_ERROR
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
        let n = min(capacity, requestBody.count - bodyOffset)
        guard n > 0 else { return 0 }
        requestBody.withUnsafeBytes { raw in
            let start = raw.baseAddress!.advanced(by: bodyOffset)
            UnsafeMutableRawPointer(buffer).copyMemory(from: start, byteCount: n)
        }
        bodyOffset += n
        return n
    }

    private func headerLineReceived(_ bytes: UnsafeRawBufferPointer) {
        let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if line.hasPrefix("HTTP/") {
            // A new response head (after 1xx, or the first one).
            headers = HTTPHeaderFields()
            let parts = line.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        } else if line.isEmpty {
            if status >= 200 { deliverHead() }
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append(name: name, value: value)
        }
    }

    /// Takes the bytes, or returns false to pause the transfer until the reader catches up (or,
    /// for `send`, to stop it: the body is over its limit).
    private func bodyReceived(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count > 0 else { return true }
        if streaming {
            deliverHead()
            let accept: Bool = flow.withLock {
                if buffered >= Self.highWater {
                    paused = true
                    return false
                }
                buffered += bytes.count
                return true
            }
            guard accept else { return false }
            bodyContinuation?.yield(Data(bytes))
        } else {
            guard received.count + bytes.count <= maxBodyBytes else {
                overLimit = true
                return true  // the write callback then refuses the bytes and curl stops (23)
            }
            received.append(contentsOf: bytes)
        }
        return true
    }

    /// The reader took `count` bytes (any thread).
    func consumed(_ count: Int) {
        let resume: Bool = flow.withLock {
            buffered -= count
            guard paused, buffered <= Self.lowWater else { return false }
            paused = false
            return true
        }
        if resume { loop?.resume(self) }
    }

    private func deliverHead() {
        guard let c = headContinuation else { return }
        headContinuation = nil
        c.resume(returning: (status, headers))
    }

    // MARK: completion (loop thread)

    func transportError(_ code: CURLcode) -> TransportError {
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

    func finishSuccessfully() {
        guard !isFinished else { return }
        isFinished = true
        var code = 0
        _ = ccurl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &code)
        if code != 0 { status = code }
        var connects = 0
        _ = ccurl_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        if let c = wholeContinuation {
            wholeContinuation = nil
            c.resume(returning: TransportResponse(status: status, headers: headers, body: received, newConnections: connects))
        }
        deliverHead()
        bodyContinuation?.finish()
        bodyContinuation = nil
    }

    func finish(error: any Error) {
        guard !isFinished else { return }
        isFinished = true
        if let c = wholeContinuation {
            wholeContinuation = nil
            c.resume(throwing: error)
        }
        if let c = headContinuation {
            headContinuation = nil
            c.resume(throwing: error)
        }
        bodyContinuation?.finish(throwing: error)
        bodyContinuation = nil
    }

    /// Frees the easy handle; called once, after the handle left the multi handle.
    func cleanup() {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        headerList = nil
        errorBuffer.deallocate()
    }
}

/// Pulls from an async iterator on behalf of a stream's reader (one reader at a time).
final class ChunkReader: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<Data, any Error>.AsyncIterator
    init(_ iterator: AsyncThrowingStream<Data, any Error>.AsyncIterator) { self.iterator = iterator }
    func next() async throws -> Data? { try await iterator.next() }
}

extension Duration {
    /// Whole milliseconds, rounded down, never negative.
    fileprivate var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        return max(0, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}
