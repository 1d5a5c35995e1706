import Foundation
import Synchronization
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// Who holds a cache's build lock, as written into `<cache>/lock` by the holder.
public struct LockHolder: Sendable, Hashable, Codable, CustomStringConvertible {
    public var pid: Int32
    public var hostname: String
    /// The holder's command line, e.g. `assetbuild build`.
    public var command: String
    public var startedAt: Date

    public init(pid: Int32, hostname: String, command: String, startedAt: Date) {
        self.pid = pid
        self.hostname = hostname
        self.command = command
        self.startedAt = startedAt
    }

    /// A holder that has not written its details yet (or wrote something unreadable).
    public static let unknown = LockHolder(pid: 0, hostname: "", command: "", startedAt: Date(timeIntervalSince1970: 0))

    /// `pid 1234 (assetbuild build, started 12:03:04)`, plus `on host NAME` when it is not this host.
    public var description: String {
        if self == .unknown { return "another process" }
        var text = "pid \(pid) (\(command), started \(Self.format(startedAt)))"
        if !hostname.isEmpty && hostname != currentHostname() { text += " on host \(hostname)" }
        return text
    }

    /// `waiting for the build lock held by pid 1234 (assetbuild build, started 12:03:04) on <dir>`.
    public func waitingMessage(cacheDirectory: URL) -> String {
        "waiting for the build lock held by \(self) on \(cacheDirectory.path)"
    }

    /// Local time: `12:03:04` today, `2026-11-23 12:03:04` on another day.
    package static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970)
        var now = time(nil)
        var parts = tm()
        var today = tm()
        localtime_r(&seconds, &parts)
        localtime_r(&now, &today)
        let clock = String(format: "%02d:%02d:%02d", parts.tm_hour, parts.tm_min, parts.tm_sec)
        if parts.tm_year == today.tm_year && parts.tm_yday == today.tm_yday { return clock }
        return String(format: "%04d-%02d-%02d ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday) + clock
    }

    package enum CodingKeys: String, CodingKey {
        case pid, hostname, command
        case startedAt = "started_at"
    }
}

/// An exclusive `flock` on `<cache>/lock`, held for one build. Released by `release()` or when
/// the object goes away; the kernel releases it if the process dies, so a stale lock file never
/// blocks anyone (its contents are only informative).
public final class BuildLock: Sendable {
    public let path: String
    private let descriptor: Mutex<Int32>

    package init(descriptor: Int32, path: String) {
        self.descriptor = Mutex(descriptor)
        self.path = path
    }

    deinit { release() }

    public var isHeld: Bool { descriptor.withLock { $0 >= 0 } }

    public func release() {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            _ = ftruncate(fd, 0)
            _ = flock(fd, LOCK_UN)
            close(fd)
            fd = -1
        }
    }

    /// Takes the lock at `path` if it is free; if another holder has it, throws
    /// `CacheError.lockHeld` naming the holder. Never waits: a wait is the async `acquire`, which
    /// Ctrl-C can end.
    package static func acquire(path: String, cacheDirectory: String, command: String,
                                now: () -> Date) throws -> BuildLock {
        let fd = try openLockFile(path)
        if try !tryLock(fd, path: path) {
            try heldElsewhere(fd, cacheDirectory: cacheDirectory, wait: false, onWait: { _ in })
        }
        return taken(fd, path: path, command: command, at: now())
    }

    /// Takes the lock at `path`: a non-blocking attempt first; if another holder has it, either
    /// fails naming the holder or tells `onWait` who it is and waits without blocking a thread:
    /// it tries again every `poll` through `clock`, so cancelling the task (Ctrl-C) ends the wait
    /// at once with `CancellationError`.
    package static func acquire(path: String, cacheDirectory: String, command: String, wait: Bool,
                        clock: any BuildClock, poll: Duration,
                        onWait: (LockHolder) -> Void) async throws -> BuildLock {
        let fd = try openLockFile(path)
        if try !tryLock(fd, path: path) {
            try heldElsewhere(fd, cacheDirectory: cacheDirectory, wait: wait, onWait: onWait)
            repeat {
                do {
                    try Task.checkCancellation()
                    try await clock.sleep(for: poll)
                    try Task.checkCancellation()
                } catch {
                    close(fd)
                    throw error
                }
            } while try !tryLock(fd, path: path)
        }
        return taken(fd, path: path, command: command, at: clock.wallNow())
    }

    private static func openLockFile(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CacheError.posix(path, "open") }
        return fd
    }

    /// One non-blocking attempt: true when taken, false when someone else holds it. Closes `fd`
    /// before throwing.
    private static func tryLock(_ fd: Int32, path: String) throws -> Bool {
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK { return false }
            let error = CacheError.posix(path, "flock")
            close(fd)
            throw error
        }
        return true
    }

    /// The lock is held by someone else: without `wait`, closes `fd` and throws `lockHeld` naming
    /// the holder; with it, tells `onWait` who holds it.
    private static func heldElsewhere(_ fd: Int32, cacheDirectory: String, wait: Bool,
                                      onWait: (LockHolder) -> Void) throws {
        let holder = readHolder(fd)
        guard wait else {
            close(fd)
            throw CacheError.lockHeld(holder, directory: cacheDirectory)
        }
        onWait(holder)
    }

    private static func taken(_ fd: Int32, path: String, command: String, at startedAt: Date) -> BuildLock {
        let me = LockHolder(pid: getpid(), hostname: currentHostname(), command: command, startedAt: startedAt)
        writeHolder(me, to: fd)
        return BuildLock(descriptor: fd, path: path)
    }

    /// The holder writes its details just after taking the lock: give it a moment to do so.
    private static func readHolder(_ fd: Int32) -> LockHolder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        for attempt in 0..<20 {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = pread(fd, &buffer, buffer.count, 0)
            if n > 0, let holder = try? decoder.decode(LockHolder.self, from: Data(buffer[0..<n])) {
                return holder
            }
            if attempt < 19 { usleep(5_000) }
        }
        return .unknown
    }

    private static func writeHolder(_ holder: LockHolder, to fd: Int32) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        guard var data = try? encoder.encode(holder) else { return }
        data.append(0x0A)
        _ = ftruncate(fd, 0)
        _ = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }
}

package func currentHostname() -> String {
    var buffer = [UInt8](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count - 1) == 0 else { return "" }
    return String(decoding: buffer.prefix(while: { $0 != 0 }), as: UTF8.self)
}
