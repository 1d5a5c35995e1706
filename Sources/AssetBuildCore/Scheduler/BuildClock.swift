import Foundation

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

/// A clock that moves only when told to. Sleepers wake when `advance` passes their deadline.
public final class ManualClock: BuildClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Duration = .zero
    private var sleepers: [(deadline: Duration, continuation: CheckedContinuation<Void, Never>)] = []

    public init() {}

    public func now() -> Duration { lock.withLock { current } }

    /// How many tasks are waiting in `sleep`.
    public var sleeperCount: Int { lock.withLock { sleepers.count } }

    public func sleep(for duration: Duration) async throws {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let wakeNow: Bool = lock.withLock {
                if duration <= .zero { return true }
                sleepers.append((current + duration, c))
                return false
            }
            if wakeNow { c.resume() }
        }
        try Task.checkCancellation()
    }

    public func advance(by duration: Duration) {
        let due: [CheckedContinuation<Void, Never>] = lock.withLock {
            current += duration
            let ready = sleepers.filter { $0.deadline <= current }
            sleepers.removeAll { $0.deadline <= current }
            return ready.map(\.continuation)
        }
        for c in due { c.resume() }
    }
}
