import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How a worker process ended (from `waitpid`).
package enum WorkerExit: Sendable, Hashable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)
    /// `waitpid` failed (someone else reaped it): how it ended is unknown.
    case unknown(String)

    init(waitStatus status: Int32) {
        self = status & 0x7F == 0 ? .exited((status >> 8) & 0xFF) : .signalled(status & 0x7F)
    }

    /// Waits for `pid` (blocking) and reaps it.
    static func reap(_ pid: pid_t) -> WorkerExit {
        var raw: Int32 = 0
        while true {
            if waitpid(pid, &raw, 0) == pid { return WorkerExit(waitStatus: raw) }
            if errno != EINTR { return .unknown(String(cString: strerror(errno))) }
        }
    }

    package var description: String {
        switch self {
        case .exited(let code): return "exited with status \(code)"
        case .signalled(let signal): return "was killed by signal \(signal) (\(String(cString: strsignal(signal))))"
        case .unknown(let reason): return "ended (its exit status could not be read: \(reason))"
        }
    }
}

/// One running `assetbuild-vips`: the child (spawned with `posix_spawn`, in its own process
/// group so a Ctrl-C in the terminal reaches assetbuild, which then stops the worker itself),
/// a socket to its stdin written by a serial queue, and a thread that reads its stdout, hands
/// each frame to `onFrame`, and at the end of the stream reaps the child and calls `onEnd`.
/// The child's stderr is assetbuild's. The child is always reaped: it exits when its stdin
/// closes (`closeInput`, or this object going away), and the reader waits for it.
package final class WorkerProcess: Sendable {
    package let pid: pid_t
    package let executable: String
    private let input: Channel
    private let writes = DispatchQueue(label: "assetbuild-vips.requests")
    private let ending = Ending()

    /// The exit, once reaped, and who waits for it.
    private final class Ending: Sendable {
        let state: Mutex<(exit: WorkerExit?, waiters: [CheckedContinuation<WorkerExit, Never>])> = Mutex((nil, []))
    }

    /// The parent's end of the worker's stdin; closed once, on the write queue.
    private final class Channel: Sendable {
        let fd: Int32
        private let open = Mutex(true)
        init(_ fd: Int32) { self.fd = fd }
        func write(header: Data, blobs: [Data]) {
            // A dead worker's write fails (EPIPE, no signal): the reader reports its death.
            open.withLock { isOpen in
                if isOpen { try? Frame.write(header: header, blobs: blobs, to: fd, send: true) }
            }
        }
        func close() {
            open.withLock { isOpen in
                if isOpen { Glibc.close(fd) }
                isOpen = false
            }
        }
    }

    private init(pid: pid_t, executable: String, input: Int32) {
        self.pid = pid
        self.executable = executable
        self.input = Channel(input)
    }

    deinit {
        let input = self.input
        writes.async { input.close() }
    }

    /// Starts `executable arguments…`. `onFrame` runs on the reader thread for each frame and
    /// throws if the frame breaks the protocol (then the worker is killed); `onEnd` runs once,
    /// after the child is reaped, with its pid, its exit and the protocol or read failure, if any.
    package static func start(executable: String, arguments: [String] = [],
                              onFrame: @escaping @Sendable (Data, Data) throws(Frame.Failure) -> Void,
                              onEnd: @escaping @Sendable (pid_t, WorkerExit, String?) -> Void) throws(DeriveError) -> WorkerProcess {
        var toChild: [Int32] = [-1, -1]
        var fromChild: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &toChild) == 0 else { throw startFailure(executable, errno) }
        guard socketpair(AF_UNIX, type, 0, &fromChild) == 0 else {
            let e = errno
            toChild.forEach { _ = close($0) }
            throw startFailure(executable, e)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears close-on-exec on 0 and 1; every other descriptor of ours stays closed in the child.
        posix_spawn_file_actions_adddup2(&actions, toChild[1], 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var spawned: pid_t = 0
        let status = posix_spawn(&spawned, executable, &actions, &attributes, argv, environ)
        close(toChild[1])
        close(fromChild[1])
        guard status == 0 else {
            close(toChild[0])
            close(fromChild[0])
            throw startFailure(executable, status)
        }
        let pid = spawned
        let worker = WorkerProcess(pid: pid, executable: executable, input: toChild[0])
        let output = fromChild[0]
        let ending = worker.ending
        // The thread holds the descriptor, the pid and the exit state, not the WorkerProcess: when
        // its owner lets it go, its deinit closes the worker's stdin and the worker exits.
        let reader = Thread {
            var failure: String?
            do {
                while let frame = try Frame.read(from: output) {
                    try onFrame(frame.header, frame.payload)
                }
            } catch {
                failure = "\(error)"
                kill(pid, SIGKILL)
            }
            close(output)
            let exit = WorkerExit.reap(pid)
            onEnd(pid, exit, failure)
            let waiters = ending.state.withLock { state in
                state.exit = exit
                defer { state.waiters = [] }
                return state.waiters
            }
            waiters.forEach { $0.resume(returning: exit) }
        }
        reader.name = "assetbuild-vips reader"
        reader.start()
        return worker
    }

    private static func startFailure(_ executable: String, _ code: Int32) -> DeriveError {
        .workerFailed("the libvips worker \(executable) could not be started: \(String(cString: strerror(code))); "
                      + "check that it is an executable file (reinstall assetbuild and assetbuild-vips together)")
    }

    /// Queues one frame for the worker's stdin; returns at once.
    package func send(header: Data, blobs: [Data]) {
        let input = self.input
        writes.async { input.write(header: header, blobs: blobs) }
    }

    /// Closes the worker's stdin after the frames already queued: the worker finishes what it
    /// has and exits.
    package func closeInput() {
        let input = self.input
        writes.async { input.close() }
    }

    /// How the worker ended, once it has (after `closeInput`, a crash or a kill).
    package func waitForExit() async -> WorkerExit {
        await withCheckedContinuation { continuation in
            let exit: WorkerExit? = ending.state.withLock { state in
                if state.exit == nil { state.waiters.append(continuation) }
                return state.exit
            }
            if let exit { continuation.resume(returning: exit) }
        }
    }
}
