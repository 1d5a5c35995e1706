import CCurl
import Foundation
import Synchronization

/// `HTTPTransport` over libcurl: one `curl_multi` handle driven by one dedicated thread, so every
/// request shares one connection cache (keep-alive reuse) and no thread blocks per request.
///
/// Options applied to every transfer: `NOSIGNAL`, `CONNECTTIMEOUT_MS`, stall detection through
/// `LOW_SPEED_LIMIT`=1 byte/s for `LOW_SPEED_TIME` (no total timeout unless the request sets one),
/// `ACCEPT_ENCODING ""` (every encoding curl supports), TCP keep-alive probes, HTTP(S) only, the
/// system CA bundle (or `caBundlePath`). Request bodies go through a read callback with no seek
/// callback, so curl cannot silently resend a POST on a reused connection that died: the caller
/// sees the failure (curl 65 or 52) and decides. Call `shutdown()` when done (deinit does too).
public final class CurlTransport: HTTPTransport {
    public struct Configuration: Sendable {
        /// Open connections at most, over all hosts (`CURLMOPT_MAX_TOTAL_CONNECTIONS`).
        public var maxConnections: Int
        /// A PEM bundle to trust instead of the system's.
        public var caBundlePath: String?
        /// A kept-alive connection idle for longer than this is not reused (`CURLOPT_MAXAGE_CONN`).
        public var maxIdleReuse: Duration

        public init(maxConnections: Int = 32, caBundlePath: String? = nil, maxIdleReuse: Duration = .seconds(50)) {
            self.maxConnections = maxConnections
            self.caBundlePath = caBundlePath
            self.maxIdleReuse = maxIdleReuse
        }
    }

    private let loop: CurlLoop
    private let configuration: Configuration

    /// The configuration the environment asks for: a CA bundle from `SSL_CERT_FILE` (OpenSSL's
    /// name) or `CURL_CA_BUNDLE` (curl's), for a network whose TLS is inspected by a proxy with
    /// its own root; otherwise the system bundle.
    public static func configuration(environment: [String: String]) -> Configuration {
        let bundle = [environment["SSL_CERT_FILE"], environment["CURL_CA_BUNDLE"]].compactMap { $0 }.first { !$0.isEmpty }
        return Configuration(caBundlePath: bundle)
    }

    public init(configuration: Configuration = Configuration()) {
        CurlLoop.initializeCurlOnce()
        self.configuration = configuration
        self.loop = CurlLoop(maxConnections: configuration.maxConnections)
    }

    deinit { loop.shutdown() }

    /// Fails every transfer in flight, stops the thread and frees the multi handle. Idempotent.
    public func shutdown() { loop.shutdown() }

    /// libcurl's version line, e.g. `libcurl/7.88.1 OpenSSL/3.0.19 zlib/1.2.13 …`.
    public static var curlVersion: String { String(cString: curl_version()) }

    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        let transfer = try CurlTransfer(request, configuration: configuration, streaming: false)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<TransportResponse, any Error>) in
                transfer.setContinuation(whole: c)
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }

    public func stream(_ request: TransportRequest) async throws -> TransportStream {
        let loop = self.loop
        let transfer = try CurlTransfer(request, configuration: configuration, streaming: true, loop: loop)
        let (raw, bodyContinuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        transfer.setContinuation(body: bodyContinuation)
        bodyContinuation.onTermination = { _ in loop.cancel(transfer) }
        // Each chunk the reader takes is counted, so curl pauses while the reader is behind.
        let reader = ChunkReader(raw.makeAsyncIterator())
        let body = AsyncThrowingStream<Data, any Error> {
            let chunk = try await reader.next()
            if let chunk { transfer.consumed(chunk.count) }
            return chunk
        }
        let head = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<(Int, HTTPHeaderFields), any Error>) in
                transfer.setContinuation(head: c)
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
        return TransportStream(status: head.0, headers: head.1, body: body)
    }
}

/// The multi handle and its thread. Everything but `submit`, `resume`, `cancel` and `shutdown`
/// runs on the loop thread only; those four hand their work over through `shared`.
package final class CurlLoop: Sendable {
    private static let globalInit: Void = { _ = curl_global_init(Int(CURL_GLOBAL_ALL)) }()
    package static func initializeCurlOnce() { _ = globalInit }

    // libcurl's multi handle is a raw pointer (never Sendable): driven by the loop thread only; curl_multi_wakeup is thread-safe.
    nonisolated(unsafe) private let multi: UnsafeMutableRawPointer

    /// Work handed to the loop thread, and whether it is to stop.
    private struct Shared {
        package var incoming: [CurlTransfer] = []
        package var cancelling: [CurlTransfer] = []
        package var resuming: [CurlTransfer] = []
        package var stopping = false
        /// The loop thread, to know when `shutdown` is called on it.
        package var thread: ObjectIdentifier?
    }

    private let shared = Mutex(Shared())
    /// Signalled by the loop thread as it exits. `shutdown` waits on it: bounded, since the loop
    /// checks `stopping` after every `curl_multi_poll`, which `curl_multi_wakeup` ends at once.
    private let exited = DispatchSemaphore(value: 0)

    package init(maxConnections: Int) {
        multi = curl_multi_init()!
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, maxConnections)
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, maxConnections)
        let thread = Thread { [self] in run() }
        thread.name = "assetbuild.curl"
        let id = ObjectIdentifier(thread)
        shared.withLock { $0.thread = id }
        thread.start()
    }

    package func submit(_ transfer: CurlTransfer) {
        let refused = shared.withLock { s in
            if !s.stopping { s.incoming.append(transfer) }
            return s.stopping
        }
        if refused {
            transfer.finish(error: TransportError(code: -1, message: "the HTTP transport was shut down"))
            transfer.cleanup()
        } else {
            curl_multi_wakeup(multi)
        }
    }

    /// Asks the loop to resume a transfer paused for backpressure (the reader caught up).
    package func resume(_ transfer: CurlTransfer) {
        let isStopping = shared.withLock { s in
            s.resuming.append(transfer)
            return s.stopping
        }
        if !isStopping { curl_multi_wakeup(multi) }
    }

    package func cancel(_ transfer: CurlTransfer) {
        transfer.requestCancel()
        let isStopping = shared.withLock { s in
            s.cancelling.append(transfer)
            return s.stopping
        }
        if !isStopping { curl_multi_wakeup(multi) }
    }

    package func shutdown() {
        let (first, onLoopThread) = shared.withLock { s in
            defer { s.stopping = true }
            return (!s.stopping, ObjectIdentifier(Thread.current) == s.thread)
        }
        guard first else { return }
        curl_multi_wakeup(multi)
        if !onLoopThread { exited.wait() }
    }

    private func run() {
        var running: Int32 = 0
        /// The transfers curl is driving, by easy handle.
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        while true {
            let (added, cancelled, resumed, stop) = shared.withLock { s in
                defer {
                    s.incoming.removeAll()
                    s.cancelling.removeAll()
                    s.resuming.removeAll()
                }
                return (s.incoming, s.cancelling, s.resuming, s.stopping)
            }

            for transfer in resumed where active[transfer.easy] === transfer {
                _ = curl_easy_pause(transfer.easy, 0)   // CURLPAUSE_CONT
            }

            for transfer in added {
                if transfer.isCancelRequested {
                    transfer.finish(error: CancellationError())
                    transfer.cleanup()
                } else {
                    active[transfer.easy] = transfer
                    curl_multi_add_handle(multi, transfer.easy)
                }
            }
            for transfer in cancelled {
                // The identity check matters: a finished transfer's handle address may be reused.
                guard active[transfer.easy] === transfer else { continue }
                active.removeValue(forKey: transfer.easy)
                curl_multi_remove_handle(multi, transfer.easy)
                transfer.finish(error: CancellationError())
                transfer.cleanup()
            }
            if stop { break }

            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                      let transfer = active.removeValue(forKey: easy) else { continue }
                let code = message.pointee.data.result
                curl_multi_remove_handle(multi, easy)
                if code == CURLE_OK {
                    transfer.finishSuccessfully()
                } else {
                    transfer.finish(error: transfer.transportError(code))
                }
                transfer.cleanup()
            }
            // Waits for socket activity, a wakeup (new work, a cancel, shutdown), or 1 s at most.
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        for (easy, transfer) in active {
            curl_multi_remove_handle(multi, easy)
            transfer.finish(error: TransportError(code: -1, message: "the HTTP transport was shut down"))
            transfer.cleanup()
        }
        active.removeAll()
        let late = shared.withLock { s in
            defer { s.incoming.removeAll() }
            return s.incoming
        }
        for transfer in late {
            transfer.finish(error: TransportError(code: -1, message: "the HTTP transport was shut down"))
            transfer.cleanup()
        }
        curl_multi_cleanup(multi)
        exited.signal()
    }
}
