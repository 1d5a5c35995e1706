import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// What the request gate asks of an images-per-minute limiter: this process's `RateLimiter`, or
/// `SharedRateLimiter`, which shares the limit with other runners through Redis.
public protocol RateLimiting: Sendable {
    /// Waits until `images` more images of `model` may be sent, then reserves them.
    func acquire(model: String, images: Int) async throws -> RateLimiter.Reservation
    /// The request is leaving now: its images count from this moment.
    func restamp(_ reservation: RateLimiter.Reservation) async
    /// Gives back what the request did not produce; `throttled` (a 429) slows the model first.
    func release(_ reservation: RateLimiter.Reservation, unusedImages: Int, throttled: Bool, retryAfter: Duration?, learn: Bool) async
    /// A 429 without a reservation (a text request): slows the model.
    func throttled(model: String, retryAfter: Duration?, learn: Bool) async
    /// Stops admitting: waiters and later requests get `BuildStopped`.
    func close() async
}

/// Images per minute, per model: Ark's IPM limit, enforced on our side so a build never earns a
/// 429 when the configured limit matches the account's.
///
/// Each model keeps a sliding 60-second window of reservations. A request reserves the most
/// images it may produce (a group's `max_images`) when admitted and gives back what it did not
/// use. Waiters are served first come, first served per model, so a group of 15 is not starved
/// by a stream of singles. A 429 slows the whole model, not just one request: its rate drops to
/// half, or to what the service had just taken when that is lower, it pauses for `Retry-After`
/// (or a short back-off), then the rate doubles every `doubling` until it is whole again (slow
/// start: a limit learned from a 429 is probed upwards gently, not jumped past at once).
/// All timing comes from the injected clock, so tests advance time instead of sleeping.
public actor RateLimiter: RateLimiting {
    public struct Reservation: Sendable, Hashable {
        public let id: Int
        public let model: String
        public let images: Int
    }

    private struct Entry {
        package var id: Int
        package var time: Duration
        package var images: Int
        /// Released: `images` is what the request really produced, not what it reserved.
        package var done = false
    }

    private struct Waiter {
        package var id: Int
        package var images: Int
        package var continuation: CheckedContinuation<Reservation, any Error>
    }

    private struct ModelState {
        package var limit: Int
        package var window: [Entry] = []
        package var waiters: [Waiter] = []
        /// Rate factor right after the last 429 (1 = full speed) and when it happened.
        package var factorAfterThrottle: Double = 1
        package var throttledAt: Duration?
        package var pausedUntil: Duration = .zero
        /// The earliest wake-up already scheduled, if any.
        package var armedWake: Duration?
    }

    public nonisolated let window: Duration = .seconds(60)
    /// Our entries count this much longer than the service's: it counts a request when it
    /// arrives, a little after we stamp it, so without a margin a request sent the instant our
    /// window frees a place can still find the service's window full (a 429).
    public nonisolated let margin: Duration
    private let doubling: Duration
    private let clock: any BuildClock
    private let defaultLimit: Int
    private var limits: [String: Int]
    private var models: [String: ModelState] = [:]
    private var nextID = 0
    private var closed = false
    /// Throttles observed, per model (for reports and tests).
    public private(set) var throttleCount: [String: Int] = [:]

    public init(limits: [String: Int], defaultLimit: Int, clock: any BuildClock, doubling: Duration = .seconds(60),
                margin: Duration = .seconds(2)) {
        self.margin = margin
        self.limits = limits
        self.defaultLimit = max(1, defaultLimit)
        self.clock = clock
        self.doubling = doubling
    }

    /// The images per minute allowed for `model` right now (lowered after a 429, recovering).
    public func currentLimit(_ model: String) -> Int {
        var state = self.state(model)
        return effectiveLimit(&state, now: clock.now())
    }

    /// Waits until `images` more images of `model` fit in the window, then reserves them.
    /// A request larger than the whole limit is admitted alone once the window is empty.
    public func acquire(model: String, images: Int) async throws -> Reservation {
        try Task.checkCancellation()
        if closed { throw BuildStopped() }
        nextID += 1
        let id = nextID
        let count = max(0, images)
        if count == 0 { return Reservation(id: id, model: model, images: 0) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Reservation, any Error>) in
                var state = self.state(model)
                state.waiters.append(Waiter(id: id, images: count, continuation: c))
                models[model] = state
                pump(model)
            }
        } onCancel: {
            Task { await self.cancel(id: id, model: model) }
        }
    }

    /// The request is leaving now: count its images from this moment (it may have waited for a
    /// concurrency slot since it was admitted), so our window is never behind the service's.
    public func restamp(_ reservation: Reservation) {
        guard var state = models[reservation.model],
              let i = state.window.firstIndex(where: { $0.id == reservation.id }) else { return }
        state.window[i].time = clock.now()
        models[reservation.model] = state
    }

    /// Gives back the part of a reservation that produced no image (a group that came back short,
    /// a refused request). With `throttled` (a 429), the model slows down in the same step, before
    /// any waiter can take the freed places.
    /// `learn`: the 429 was the images-per-minute limit itself, so what the service had taken
    /// tells the account's real limit.
    public func release(_ reservation: Reservation, unusedImages: Int, throttled: Bool = false, retryAfter: Duration? = nil,
                        learn: Bool = false) {
        if var state = models[reservation.model], let i = state.window.firstIndex(where: { $0.id == reservation.id }) {
            state.window[i].images = max(0, state.window[i].images - unusedImages)
            state.window[i].done = true
            models[reservation.model] = state
        }
        if throttled { throttle(reservation.model, retryAfter: retryAfter, learn: learn) }
        pump(reservation.model)
    }

    /// The service said 429 for `model`: pause it for `retryAfter` (or 2 s when the service did
    /// not say) and lower its rate to half, or, for an images-per-minute 429 (`learn`), to what
    /// the service had just taken (the images of finished requests in our window) when that is
    /// lower: a configured limit far above the account's real one is learned from one 429, not
    /// halved step by step. The rate then doubles back every `doubling`, so a passing 429
    /// (another client on the account) costs little.
    public func throttled(model: String, retryAfter: Duration?, learn: Bool = false) {
        throttle(model, retryAfter: retryAfter, learn: learn)
        pump(model)
    }

    private func throttle(_ model: String, retryAfter: Duration?, learn: Bool) {
        var state = self.state(model)
        let now = clock.now()
        state.window.removeAll { $0.time + window + margin <= now || $0.images == 0 }
        // Only finished requests count: a reservation still in flight is not yet known to have
        // reached the service's window. An empty count says nothing about the account (another
        // client, or another kind of 429): then the rate is only halved.
        let taken = state.window.reduce(0) { $0 + ($1.done ? $1.images : 0) }
        let half = currentFactor(state, now: now) / 2
        let learned = learn && taken > 0 ? min(half, Double(taken) / Double(state.limit)) : half
        state.factorAfterThrottle = max(1 / Double(state.limit), learned)
        state.throttledAt = now
        state.pausedUntil = max(state.pausedUntil, now + (retryAfter ?? .seconds(2)))
        throttleCount[model, default: 0] += 1
        models[model] = state
    }

    // MARK: Internals

    private func state(_ model: String) -> ModelState {
        models[model] ?? ModelState(limit: max(1, limits[model] ?? defaultLimit))
    }

    private func currentFactor(_ state: ModelState, now: Duration) -> Double {
        guard let at = state.throttledAt else { return 1 }
        let elapsed = Self.seconds(now - at), period = Self.seconds(doubling)
        return min(1, state.factorAfterThrottle * pow(2, elapsed / period))
    }

    private func effectiveLimit(_ state: inout ModelState, now: Duration) -> Int {
        max(1, Int((Double(state.limit) * currentFactor(state, now: now)).rounded(.down)))
    }

    /// Admits waiters at the head of the queue while they fit; otherwise arms one timer for the
    /// moment the head will fit.
    private func pump(_ model: String) {
        guard var state = models[model] else { return }
        let now = clock.now()
        state.window.removeAll { $0.time + window + margin <= now || $0.images == 0 }
        while let head = state.waiters.first {
            let limit = effectiveLimit(&state, now: now)
            let used = state.window.reduce(0) { $0 + $1.images }
            let fits = now >= state.pausedUntil && (used + head.images <= limit || (used == 0 && head.images > limit))
            guard fits else { break }
            state.waiters.removeFirst()
            state.window.append(Entry(id: head.id, time: now, images: head.images))
            head.continuation.resume(returning: Reservation(id: head.id, model: model, images: head.images))
        }
        if let head = state.waiters.first {
            let wake = wakeTime(state, head: head.images, now: now)
            if let armed = state.armedWake, armed <= wake, armed > now {
                models[model] = state
                return
            }
            state.armedWake = wake
            let clock = self.clock
            Task {
                try? await clock.sleep(for: max(.milliseconds(1), wake - now))
                await self.timerFired(model)
            }
        }
        models[model] = state
    }

    private func timerFired(_ model: String) {
        if let armed = models[model]?.armedWake, armed <= clock.now() { models[model]?.armedWake = nil }
        pump(model)
    }

    /// The earliest time `images` fit: after the pause, and once enough old entries leave the window.
    private func wakeTime(_ state: ModelState, head images: Int, now: Duration) -> Duration {
        var s = state
        let limit = effectiveLimit(&s, now: now)
        var used = state.window.reduce(0) { $0 + $1.images }
        var t = max(now, state.pausedUntil)
        for e in state.window.sorted(by: { $0.time < $1.time }) where used + images > limit && !(used == 0) {
            used -= e.images
            t = max(t, e.time + window + margin)
        }
        // The limit itself recovers over time after a throttle; look again within a few seconds.
        if state.throttledAt != nil { t = min(t, max(now, state.pausedUntil) + .seconds(5)) }
        return t
    }

    /// Stops admitting: every waiter, and every later request, gets `BuildStopped` (the build
    /// stops after a failure without keep-going; what was admitted goes on).
    public func close() {
        closed = true
        for (model, var state) in models {
            let waiters = state.waiters
            state.waiters.removeAll()
            models[model] = state
            for w in waiters { w.continuation.resume(throwing: BuildStopped()) }
        }
    }

    private func cancel(id: Int, model: String) {
        guard var state = models[model], let i = state.waiters.firstIndex(where: { $0.id == id }) else { return }
        let w = state.waiters.remove(at: i)
        models[model] = state
        w.continuation.resume(throwing: CancellationError())
        pump(model)
    }

    package static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
