import Foundation
import Dispatch
import Synchronization
import CHiredis

/// A reply from Redis, copied out of hiredis' reply object.
public enum RedisReply: Sendable, Equatable {
    case string(String)
    case status(String)
    case integer(Int)
    case array([RedisReply])
    case null
    case error(String)

    public var integer: Int? { if case .integer(let n) = self { return n } else { return nil } }
    public var string: String? {
        switch self {
        case .string(let s), .status(let s): return s
        default: return nil
        }
    }
    public var array: [RedisReply]? { if case .array(let a) = self { return a } else { return nil } }
}

/// Why a Redis command did not give an answer.
public enum RedisError: Error, Sendable, CustomStringConvertible {
    /// No connection (refused, timed out, broken and not restored by one reconnect).
    case unreachable(String)
    /// The server refused AUTH or SELECT.
    case refused(String)
    /// The server answered with an error (a script error, a wrong type).
    case server(String)
    /// An answer of a shape the caller did not expect.
    case unexpected(String)

    public var description: String {
        switch self {
        case .unreachable(let m): return m
        case .refused(let m): return m
        case .server(let m): return "Redis answered an error: \(m)"
        case .unexpected(let m): return "unexpected answer from Redis: \(m)"
        }
    }
}

/// One connection to Redis through hiredis (blocking I/O). Commands run one at a time on the
/// connection's own dispatch queue, so a slow server never holds a thread of Swift's cooperative
/// pool; the caller awaits the answer, and a cancelled caller returns at once (the command itself
/// still completes on the queue, its answer dropped).
///
/// Connecting is lazy (the first command) and bounded by `connectTimeout`; every command by
/// `commandTimeout`. A broken connection is reconnected once per command before it fails.
public final class RedisConnection: Sendable {
    public let url: RedisURL
    private let connectTimeout: Duration
    private let commandTimeout: Duration
    private let queue: DispatchQueue

    private struct State {
        var context: UnsafeMutablePointer<redisContext>?
        /// SHA-1 of each script's source, once `SCRIPT LOAD` has told it.
        var shas: [String: String] = [:]
    }
    private let state = Mutex(State())

    public init(url: RedisURL, connectTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(2)) {
        self.url = url
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.queue = DispatchQueue(label: "assetbuild.redis")
    }

    deinit {
        state.withLock { s in
            if let c = s.context { redisFree(c) }
            s.context = nil
        }
    }

    /// Sends one command (`["SET", key, value, "NX"]`). An error reply is returned as `.error`.
    /// `evenIfCancelled`: the command is sent even when the caller was cancelled before it left
    /// (a release must reach the server); otherwise a cancelled caller's command is dropped.
    public func command(_ arguments: [String], evenIfCancelled: Bool = false) async throws -> RedisReply {
        try await onQueue(evenIfCancelled: evenIfCancelled) { s in try self.send(arguments, &s) }
    }

    /// Runs `script` with EVALSHA (loading it once per connection), falling back to EVAL when the
    /// server does not know it (NOSCRIPT: a restarted or flushed server).
    public func eval(_ script: String, keys: [String], arguments: [String], evenIfCancelled: Bool = false) async throws -> RedisReply {
        try await onQueue(evenIfCancelled: evenIfCancelled) { s in
            let tail = ["\(keys.count)"] + keys + arguments
            if s.shas[script] == nil, case .string(let sha)? = try? self.send(["SCRIPT", "LOAD", script], &s) {
                s.shas[script] = sha
            }
            if let sha = s.shas[script] {
                let reply = try self.send(["EVALSHA", sha] + tail, &s)
                guard case .error(let message) = reply, message.hasPrefix("NOSCRIPT") else { return reply }
            }
            return try self.send(["EVAL", script] + tail, &s)
        }
    }

    // MARK: - On the queue

    /// Runs `work` on the connection's queue, holding its state; the caller awaits, cancellably.
    private func onQueue<T: Sendable>(evenIfCancelled: Bool,
                                      _ work: @escaping @Sendable (inout State) throws -> T) async throws -> T {
        let handoff = Handoff<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
                let live = handoff.install(c)
                guard live || evenIfCancelled else { return }
                queue.async {
                    if !evenIfCancelled, handoff.isCancelled { return }
                    let result = Result { try self.state.withLock { try work(&$0) } }
                    handoff.finish(result)
                }
            }
        } onCancel: {
            handoff.cancel()
        }
    }

    /// Sends a command, connecting first if needed, and reconnecting once when the connection
    /// broke (a restarted server, an idle connection closed). Runs on the queue.
    private func send(_ arguments: [String], _ s: inout State) throws -> RedisReply {
        for attempt in 0..<2 {
            if s.context == nil { s.context = try connect() }
            guard let c = s.context else { continue }
            if let reply = Self.raw(c, arguments) { return reply }
            let why = Self.errorText(c)
            redisFree(c)
            s.context = nil
            if attempt == 1 { throw RedisError.unreachable("the connection to \(url) broke (\(why))") }
        }
        throw RedisError.unreachable("no connection to \(url)")
    }

    private func connect() throws -> UnsafeMutablePointer<redisContext> {
        guard let c = redisConnectWithTimeout(url.host, Int32(url.port), chiredis_timeval_ms(Self.milliseconds(connectTimeout))) else {
            throw RedisError.unreachable("cannot connect to \(url): out of memory")
        }
        if c.pointee.err != 0 {
            let why = Self.errorText(c)
            redisFree(c)
            throw RedisError.unreachable("cannot connect to \(url) (\(why))")
        }
        redisSetTimeout(c, chiredis_timeval_ms(Self.milliseconds(commandTimeout)))
        redisEnableKeepAlive(c)
        var setup: [[String]] = []
        if let password = url.password { setup.append(["AUTH"] + (url.user.map { [$0] } ?? []) + [password]) }
        if url.database != 0 { setup.append(["SELECT", "\(url.database)"]) }
        for command in setup {
            let reply = Self.raw(c, command)
            let what = command[0] == "AUTH" ? "the password (AUTH)" : "database \(url.database) (SELECT)"
            switch reply {
            case nil:
                let why = Self.errorText(c)
                redisFree(c)
                throw RedisError.unreachable("the connection to \(url) broke (\(why))")
            case .error(let message)?:
                redisFree(c)
                // The server's message never holds the password; it says what is wrong.
                throw RedisError.refused("Redis at \(url) refused \(what): \(message)")
            default: break
            }
        }
        return c
    }

    /// One command through `redisCommandArgv`; nil when the connection failed (see `errorText`).
    private static func raw(_ c: UnsafeMutablePointer<redisContext>, _ arguments: [String]) -> RedisReply? {
        let lengths = arguments.map { $0.utf8.count }
        var copies = arguments.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointer = copies.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: UnsafePointer<CChar>?.self) { argv in
                redisCommandArgv(c, Int32(arguments.count), argv.baseAddress, lengths)
            }
        }
        guard let pointer else { return nil }
        let reply = pointer.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(pointer) }
        return convert(reply.pointee)
    }

    private static func convert(_ r: redisReply) -> RedisReply {
        func text() -> String {
            guard let str = r.str else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: str, count: r.len), as: UTF8.self)
        }
        switch r.type {
        case REDIS_REPLY_STRING: return .string(text())
        case REDIS_REPLY_STATUS: return .status(text())
        case REDIS_REPLY_ERROR: return .error(text())
        case REDIS_REPLY_INTEGER: return .integer(Int(r.integer))
        case REDIS_REPLY_ARRAY:
            return .array((0..<r.elements).map { i in r.element[i].map { convert($0.pointee) } ?? .null })
        default: return .null
        }
    }

    private static func errorText(_ c: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: c.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            let text = String(decoding: bytes, as: UTF8.self)
            return text.isEmpty ? "error \(c.pointee.err)" : text
        }
    }

    private static func milliseconds(_ d: Duration) -> Int {
        max(1, Int(d.components.seconds) * 1000 + Int(d.components.attoseconds / 1_000_000_000_000_000))
    }
}

/// The meeting point of an awaiting caller and the work on the queue: whichever of the answer and
/// the cancellation comes first resumes the caller, exactly once.
private final class Handoff<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var cancelled = false
        var finished = false
    }
    private let state = Mutex(State())

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Keeps the continuation; false (and the caller resumed with `CancellationError`) when the
    /// caller was already cancelled.
    func install(_ c: CheckedContinuation<T, any Error>) -> Bool {
        let cancelled = state.withLock { s -> Bool in
            if !s.cancelled { s.continuation = c }
            return s.cancelled
        }
        if cancelled { c.resume(throwing: CancellationError()) }
        return !cancelled
    }

    func finish(_ result: Result<T, any Error>) {
        let c = state.withLock { s -> CheckedContinuation<T, any Error>? in
            s.finished = true
            defer { s.continuation = nil }
            return s.continuation
        }
        c?.resume(with: result)
    }

    func cancel() {
        let c = state.withLock { s -> CheckedContinuation<T, any Error>? in
            s.cancelled = true
            defer { s.continuation = nil }
            return s.finished ? nil : s.continuation
        }
        c?.resume(throwing: CancellationError())
    }
}
