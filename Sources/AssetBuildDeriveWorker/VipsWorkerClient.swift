import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// libvips in the `assetbuild-vips` worker process, so `assetbuild` never loads libvips' 66
/// shared libraries: the worker is found (`WorkerLocator`) and started on the first request, so a
/// build that derives nothing never starts it; one worker then serves the whole build, with many
/// requests in flight on its pipe (at most `maxInFlight`; the worker runs as many at once as there
/// are cores). A cancelled request is abandoned: its caller gets `.cancelled` at once, the worker
/// may still finish it. If the worker dies, every request in flight fails with `.workerFailed`
/// saying how, and the next request starts a fresh worker. `shutdown()` closes the worker's stdin
/// and reaps it.
public final class VipsWorkerClient: DeriveToolchain {
    /// What the client did, for tests that must act at an exact point (kill a worker with
    /// requests in flight).
    package enum Event: Sendable, Hashable {
        case started(pid: pid_t)
        case sent(id: UInt64)
        case ended(pid: pid_t, WorkerExit)
    }

    private typealias Answer = Result<(response: WireResponse, blobs: [Data]), DeriveError>

    private struct Pending {
        var generation: Int
        /// nil once the caller is gone (cancelled): the answer is dropped when it comes.
        var continuation: CheckedContinuation<Answer, Never>?
    }

    private struct State {
        var worker: (generation: Int, process: WorkerProcess)?
        var generations = 0
        var nextID: UInt64 = 0
        var pending: [UInt64: Pending] = [:]
        var version: String?
    }

    private let state = Mutex(State())
    private let slots: DeriveSlots
    private let locate: @Sendable () -> Result<String, DeriveError>
    private let arguments: [String]
    private let observer: (@Sendable (Event) -> Void)?

    /// A client of the worker found beside this executable, through `ASSETBUILD_VIPS` or on
    /// `PATH`; `maxInFlight` requests on the pipe at most (default: twice the cores, so the next
    /// source is already in the worker when a derivation ends).
    public convenience init(maxInFlight: Int = 2 * ProcessInfo.processInfo.activeProcessorCount) {
        self.init(executable: nil, maxInFlight: maxInFlight)
    }

    /// `executable` nil: found by `WorkerLocator`. `arguments` go to the worker (`--jobs N`).
    package init(executable: String?, arguments: [String] = [],
                 maxInFlight: Int = 2 * ProcessInfo.processInfo.activeProcessorCount,
                 observer: (@Sendable (Event) -> Void)? = nil) {
        if let executable {
            locate = { .success(executable) }
        } else {
            locate = { WorkerLocator.find() }
        }
        self.arguments = arguments
        self.observer = observer
        slots = DeriveSlots(limit: maxInFlight)
    }

    deinit {
        // Dropping the process closes the worker's stdin; its reader thread reaps it.
        state.withLock { $0.worker = nil }
    }

    // MARK: DeriveToolchain

    public func version() async throws(DeriveError) -> String {
        if let known = state.withLock({ $0.version }) { return known }
        let answer = try await call(.version)
        guard let version = answer.response.version else { throw missing("version", answer.response.id) }
        state.withLock { $0.version = version }
        return version
    }

    public func resolveFont(_ name: String) async throws(DeriveError) -> ResolvedFont {
        let answer = try await call(.resolveFont, font: name)
        guard let font = answer.response.font else { throw missing("font", answer.response.id) }
        return font
    }

    /// The worker binary that would be started (nothing is started).
    public func executable() -> String? {
        try? locate().get()
    }

    public func stateFiles() async throws(DeriveError) -> [String] {
        let answer = try await call(.stateFiles)
        guard let files = answer.response.files else { throw missing("file list", answer.response.id) }
        return files
    }

    public func derive(_ source: Data, spec: DeriveSpec) async throws(DeriveError) -> DerivedImage {
        var blobs = [source]
        let wire = WireSpec(spec, blobs: &blobs)
        let answer = try await call(.derive, spec: wire, blobs: blobs)
        guard answer.blobs.count == 1, let output = answer.blobs.first,
              let width = answer.response.width, let height = answer.response.height else { throw missing("image", answer.response.id) }
        return DerivedImage(data: output, width: width, height: height)
    }

    /// Closes the worker's stdin and waits until it has finished what it had and exited (reaped:
    /// no zombie). Requests still in flight get their answers first. A later request starts a
    /// new worker.
    public func shutdown() async {
        _ = await stop()
    }

    /// `shutdown`, returning how the worker ended (nil when none was running).
    package func stop() async -> WorkerExit? {
        let worker = state.withLock { s in
            defer { s.worker = nil }
            return s.worker?.process
        }
        guard let worker else { return nil }
        worker.closeInput()
        return await worker.waitForExit()
    }

    /// The running worker's process id, if one is running.
    package var workerPID: pid_t? { state.withLock { $0.worker?.process.pid } }

    // MARK: Requests

    private func missing(_ what: String, _ id: UInt64) -> DeriveError {
        .workerFailed("the libvips worker answered request \(id) without its \(what); "
                      + "check that assetbuild and assetbuild-vips come from the same build")
    }

    /// Sends one request and waits for its answer: a slot first, then the worker (started if
    /// none runs), then the frame. The answer's error, if any, is thrown.
    private func call(_ op: WireOperation, font: String? = nil, spec: WireSpec? = nil,
                      blobs: [Data] = []) async throws(DeriveError) -> (response: WireResponse, blobs: [Data]) {
        try await slots.acquire()
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        let answer: Answer = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Answer, Never>) in
                let registered: Result<WorkerProcess, DeriveError> = state.withLock { s in
                    if Task.isCancelled { return .failure(.cancelled) }
                    let worker: (generation: Int, process: WorkerProcess)
                    if let running = s.worker {
                        worker = running
                    } else {
                        switch start(&s) {
                        case .success(let started): worker = started
                        case .failure(let error): return .failure(error)
                        }
                    }
                    s.pending[id] = Pending(generation: worker.generation, continuation: continuation)
                    return .success(worker.process)
                }
                switch registered {
                case .success(let worker):
                    let request = WireRequest(id: id, op: op, font: font, spec: spec, blobs: blobs.map(\.count))
                    worker.send(header: WireProtocol.encode(request), blobs: blobs)
                    observer?(.sent(id: id))
                case .failure(let error):
                    slots.release()
                    continuation.resume(returning: .failure(error))
                }
            }
        } onCancel: {
            abandon(id)
        }
        let result = try answer.get()
        if let error = result.response.error { throw error }
        return result
    }

    /// The caller of `id` is gone: it gets `.cancelled` now; the slot is kept until the worker
    /// answers (or dies), so abandoned work still counts against the bound.
    private func abandon(_ id: UInt64) {
        let continuation = state.withLock { s -> CheckedContinuation<Answer, Never>? in
            defer { s.pending[id]?.continuation = nil }
            return s.pending[id]?.continuation
        }
        continuation?.resume(returning: .failure(.cancelled))
    }

    /// Starts a worker (under the state lock, so two first requests start one worker).
    private func start(_ s: inout State) -> Result<(generation: Int, process: WorkerProcess), DeriveError> {
        let executable: String
        switch locate() {
        case .success(let path): executable = path
        case .failure(let error): return .failure(error)
        }
        s.generations += 1
        let generation = s.generations
        do throws(DeriveError) {
            let process = try WorkerProcess.start(
                executable: executable, arguments: arguments,
                onFrame: { [weak self] header, payload throws(Frame.Failure) in
                    try self?.received(header, payload, generation: generation)
                },
                onEnd: { [weak self] pid, exit, failure in
                    self?.ended(generation: generation, pid: pid, executable: executable, exit: exit, failure: failure)
                })
            s.worker = (generation, process)
            observer?(.started(pid: process.pid))
            return .success((generation, process))
        } catch {
            return .failure(error)
        }
    }

    /// One answer from worker `generation` (on its reader thread).
    private func received(_ header: Data, _ payload: Data, generation: Int) throws(Frame.Failure) {
        let response = try WireProtocol.decode(WireResponse.self, from: header)
        guard response.v == WireProtocol.version else {
            throw Frame.Failure("it speaks protocol version \(response.v), this assetbuild speaks \(WireProtocol.version)")
        }
        let blobs = try Frame.blobs(payload, lengths: response.blobs)
        let pending = state.withLock { s -> Pending? in
            guard s.pending[response.id]?.generation == generation else { return nil }
            return s.pending.removeValue(forKey: response.id)
        }
        guard let pending else { throw Frame.Failure("it answered request \(response.id), which it was not asked") }
        slots.release()
        pending.continuation?.resume(returning: .success((response, blobs)))
    }

    /// Worker `generation` has ended and been reaped: its requests in flight fail, saying how.
    private func ended(generation: Int, pid: pid_t, executable: String, exit: WorkerExit, failure: String?) {
        let orphans = state.withLock { s -> [Pending] in
            if s.worker?.generation == generation { s.worker = nil }
            let ids = s.pending.filter { $0.value.generation == generation }.map(\.key)
            return ids.compactMap { s.pending.removeValue(forKey: $0) }
        }
        let who = "the libvips worker \(executable) (pid \(pid))"
        let message: String
        if let failure {
            message = "\(who) broke the protocol (\(failure)) and was stopped; \(orphans.count) derivation(s) in flight failed. "
                + "Check that assetbuild and assetbuild-vips come from the same build (reinstall both)"
        } else {
            message = "\(who) \(exit) with \(orphans.count) derivation(s) in flight, which failed. Run the build again "
                + "(a new worker starts); if it keeps happening, read the worker's messages above (a signal 9 with none "
                + "is often the out-of-memory killer)"
        }
        for orphan in orphans {
            slots.release()
            orphan.continuation?.resume(returning: .failure(.workerFailed(message)))
        }
        observer?(.ended(pid: pid, exit))
    }
}
