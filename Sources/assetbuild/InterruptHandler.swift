import AssetBuildCore
import Dispatch
import Foundation

/// Ctrl-C (SIGINT) and SIGTERM for `build`, `clean` and `cache gc`: the first cancels the work
/// (a build keeps what arrived; in-flight requests are abandoned), a second exits at once (130).
///
/// No signal can be lost. `sigaction` swaps the default action (terminate) for `recordSignal` in
/// one step, so at every instant a signal either ends the process, as it would without us, or
/// writes one byte into `InterruptPipe`; there is no moment when it is ignored. The byte waits in
/// the pipe until it is acted on through `InterruptCounter`: bytes already there when the work is
/// about to start stop it from starting, later ones are read by the one watcher (a read source on
/// a serial queue) and cancel the work's task. The work starts only after the handler is
/// installed, so nothing it prints (say, "waiting for the build lock") can be answered by a Ctrl-C
/// the handler misses, and no gate is needed. A signal after the work has ended and before the
/// handler is removed stays in the pipe: the work is done, nothing is left to stop.
///
/// The handler this replaces set SIG_IGN and then resumed a dispatch signal source, which
/// registers itself later on dispatch's manager thread; a signal in between was discarded by the
/// kernel (SIGINT sent right after that handler's install was lost in 6 of 24 runs).
final class InterruptHandler {
    static let defaultNotice = "\nassetbuild: interrupted; keeping what arrived (Ctrl-C again to quit now)\n"
    static let signals = [SIGINT, SIGTERM]
    /// Test-only: set to 1, the process sends itself SIGINT right after the handler is installed;
    /// set to 2, SIGINT then SIGTERM (CLIInterruptTests proves none is lost). Like a Ctrl-C from the
    /// terminal the signals go to the process, and the kernel picks the thread that runs the handler
    /// (dispatch's worker threads block them); the hook waits until both are recorded, so they
    /// arrive before the watcher and the work have started, the case a lost signal would show in.
    static let interruptAtInstallVariable = "ASSETBUILD_TEST_INTERRUPT_AT_INSTALL"

    /// Made by `watch` (dispatch does not let a source that never ran be released).
    private var watcher: (any DispatchSourceRead)?
    private let previous: [sigaction]
    private let counter = InterruptCounter()
    private let notice: String?

    /// Runs `operation` with interrupts handled throughout: the first cancels it (printing
    /// `notice`, unless nil), a second exits. A signal that came before it started stops it from
    /// starting (CancellationError). The handler is removed when it ends.
    static func run<T: Sendable>(notice: String? = defaultNotice,
                                 _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        let handler = InterruptHandler(notice: notice)
        defer { handler.stop() }
        if handler.actOnRecorded(onInterrupt: {}) { throw CancellationError() }
        let task = Task(operation: operation)
        handler.watch { task.cancel() }
        return try await task.value
    }

    /// Installs the signal handler; signals are recorded from here on and wait in the pipe until acted on.
    private init(notice: String?) {
        self.notice = notice
        let pipe = InterruptPipe.shared   // made before any signal can need it
        pipe.drain()                      // a byte left by an earlier handler in this process
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_handler = recordSignal
        #else
        action.__sigaction_u.__sa_handler = recordSignal
        #endif
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        previous = Self.signals.map { sig in
            var old = sigaction()
            sigaction(sig, &action, &old)
            return old
        }
        if let n = ProcessInfo.processInfo.environment[Self.interruptAtInstallVariable].flatMap({ Int($0) }) {
            let sent = Self.signals.prefix(n)
            for sig in sent { kill(getpid(), sig) }
            while pipe.waiting() < sent.count { sched_yield() }
        }
    }

    /// Acts on the signals recorded so far, first to last: the first calls `onInterrupt`, a later
    /// one exits. Says whether there were any.
    private func actOnRecorded(onInterrupt: () -> Void) -> Bool {
        Self.act(count: InterruptPipe.shared.drain(), counter: counter, notice: notice, onInterrupt: onInterrupt)
    }

    private static func act(count: Int, counter: InterruptCounter, notice: String?, onInterrupt: () -> Void) -> Bool {
        for _ in 0..<count {
            switch counter.record() {
            case .exit:
                _exit(130)
            case .cancel:
                if let notice { FileHandle.standardError.write(Data(notice.utf8)) }
                onInterrupt()
            }
        }
        return count > 0
    }

    /// Acts on each signal as it is recorded, on the watcher's queue.
    private func watch(onInterrupt: @escaping @Sendable () -> Void) {
        let (counter, notice) = (counter, notice)
        let watcher = DispatchSource.makeReadSource(fileDescriptor: InterruptPipe.shared.readEnd,
                                                    queue: DispatchQueue(label: "assetbuild.interrupts"))
        self.watcher = watcher
        watcher.setEventHandler {
            _ = Self.act(count: InterruptPipe.shared.drain(), counter: counter, notice: notice, onInterrupt: onInterrupt)
        }
        watcher.resume()
    }

    /// Puts back the actions the signals had before, then stops the watcher.
    private func stop() {
        for (sig, old) in zip(Self.signals, previous) {
            var old = old
            sigaction(sig, &old, nil)
        }
        watcher?.cancel()
    }
}

/// The signal handler: one byte into the pipe per signal. Only async-signal-safe calls (`write`;
/// `InterruptPipe.shared` is initialized before the handler is installed, so reading it is a load).
/// A full pipe (thousands of unread signals) drops the byte, which changes nothing: the second
/// signal already exits.
private func recordSignal(_ signal: Int32) {
    let saved = errno
    var byte = UInt8(truncatingIfNeeded: signal)
    _ = write(InterruptPipe.shared.writeEnd, &byte, 1)
    errno = saved
}

/// The self-pipe between the signal handler and the watcher, made once and kept open for the
/// life of the process (closing it could let a late signal write into a reused descriptor).
private struct InterruptPipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    static let shared: InterruptPipe = {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            fatalError("assetbuild: cannot create a pipe for Ctrl-C handling (\(String(cString: strerror(errno)))); "
                       + "close other programs or raise the open-file limit (ulimit -n) and try again")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        return InterruptPipe(readEnd: fds[0], writeEnd: fds[1])
    }()

    /// How many bytes wait to be read.
    func waiting() -> Int {
        var count: Int32 = 0
        return ioctl(readEnd, UInt(FIONREAD), &count) == 0 ? Int(count) : 0
    }

    /// Reads every byte waiting (the read end does not block) and says how many there were.
    @discardableResult
    func drain() -> Int {
        var count = 0
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let n = read(readEnd, &buffer, buffer.count)
            if n > 0 { count += n; continue }
            if n < 0, errno == EINTR { continue }
            return count
        }
    }
}
