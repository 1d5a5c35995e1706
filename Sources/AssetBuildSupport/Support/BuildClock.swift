import Foundation
import Synchronization

/// Time as the engine sees it: a monotonic reading, the wall-clock date and a way to wait.
/// Injected, so retry and rate-limit logic is tested by advancing a `ManualClock` instead of
/// sleeping, and every date the engine records or prints is pinned in tests. Engine code reads
/// the date and sleeps only through it.
public protocol BuildClock: Sendable {
    /// Monotonic time since an arbitrary origin: for durations (elapsed time, deadlines).
    func now() -> Duration
    /// The wall-clock date: for timestamps that are stored or shown (never for durations).
    func wallNow() -> Date
    func sleep(for duration: Duration) async throws
}

public struct SystemClock: BuildClock {
    private let origin = ContinuousClock.now
    public init() {}
    public func now() -> Duration { origin.duration(to: .now) }
    public func wallNow() -> Date { Date() }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

extension Duration {
    /// The duration in seconds, with its fraction.
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// A clock that moves only when told to. Sleepers wake when `advance` passes their deadline; a
/// cancelled sleeper wakes at once with `CancellationError`. Its date is `epoch` plus the time
/// advanced, so it moves with `now()`.
public final class ManualClock: BuildClock {
    private struct State {
        package var current: Duration = .zero
        package var epoch: Date
        package var nextID: UInt64 = 0
        package var sleepers: [(id: UInt64, deadline: Duration, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state: Mutex<State>

    /// `epoch`: the date at time zero (2024-01-01T00:00:00Z unless given).
    public init(epoch: Date = Date(timeIntervalSince1970: 1_704_067_200)) {
        state = Mutex(State(epoch: epoch))
    }

    public func now() -> Duration { state.withLock { $0.current } }

    public func wallNow() -> Date {
        state.withLock { $0.epoch.addingTimeInterval($0.current.inSeconds) }
    }

    /// Sets the date at time zero, so `wallNow()` reads `epoch` plus the time advanced.
    public func setEpoch(_ epoch: Date) { state.withLock { $0.epoch = epoch } }

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
