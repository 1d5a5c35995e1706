import Foundation
import Synchronization

/// Time as the engine sees it: a monotonic reading and a way to wait. Injected, so retry and
/// rate-limit logic is tested by advancing a `ManualClock` instead of sleeping.
public protocol BuildClock: Sendable {
    /// Monotonic time since an arbitrary origin.
    func now() -> Duration
    func sleep(for duration: Duration) async throws
}

public struct SystemClock: BuildClock {
    private let origin = ContinuousClock.now
    public init() {}
    public func now() -> Duration { origin.duration(to: .now) }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// A clock that moves only when told to. Sleepers wake when `advance` passes their deadline; a
/// cancelled sleeper wakes at once with `CancellationError`.
public final class ManualClock: BuildClock {
    private struct State {
        var current: Duration = .zero
        var nextID: UInt64 = 0
        var sleepers: [(id: UInt64, deadline: Duration, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    public init() {}

    public func now() -> Duration { state.withLock { $0.current } }

    /// How many tasks are waiting in `sleep`.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(for duration: Duration) async throws {
        let id = state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let wakeNow: Bool = state.withLock { s in
                    if duration <= .zero || Task.isCancelled { return true }
                    s.sleepers.append((id, s.current + duration, c))
                    return false
                }
                if wakeNow { c.resume() }
            }
        } onCancel: {
            let woken = state.withLock { s -> CheckedContinuation<Void, Never>? in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sleepers.remove(at: i).continuation
            }
            woken?.resume()
        }
        try Task.checkCancellation()
    }

    public func advance(by duration: Duration) {
        let due: [CheckedContinuation<Void, Never>] = state.withLock { s in
            s.current += duration
            let ready = s.sleepers.filter { $0.deadline <= s.current }
            s.sleepers.removeAll { $0.deadline <= s.current }
            return ready.map(\.continuation)
        }
        for c in due { c.resume() }
    }
}
