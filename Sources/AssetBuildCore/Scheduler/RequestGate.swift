/// Admission for paid requests: the per-model images-per-minute limiter first (a request reserves
/// its image count), then one of `concurrency` slots, first come first served.
public actor RequestGate {
    /// What an admitted request holds; give it back with `release`.
    public struct Ticket: Sendable {
        public let model: String
        let reservation: RateLimiter.Reservation?
    }

    private let capacity: Int
    private let limiter: RateLimiter?
    private var inFlight = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var cancelled = false

    public init(concurrency: Int, limiter: RateLimiter? = nil) {
        self.capacity = max(1, concurrency)
        self.limiter = limiter
    }

    public var requestsInFlight: Int { inFlight }

    /// Waits for the rate limit and a slot. Call `release` exactly once afterwards.
    public func acquire(model: String, images: Int) async throws -> Ticket {
        let reservation = try await limiter?.acquire(model: model, images: images)
        if cancelled { throw CancellationError() }
        if inFlight < capacity {
            inFlight += 1
        } else {
            await withCheckedContinuation { waiters.append($0) }
        }
        if cancelled || Task.isCancelled {
            releaseSlot()
            if let r = reservation { await limiter?.release(r, unusedImages: r.images) }
            throw CancellationError()
        }
        if let r = reservation { await limiter?.restamp(r) }
        return Ticket(model: model, reservation: reservation)
    }

    /// Gives the slot back; `unusedImages` returns reserved images a group did not produce.
    public func release(_ ticket: Ticket, unusedImages: Int = 0) async {
        releaseSlot()
        if let r = ticket.reservation { await limiter?.release(r, unusedImages: unusedImages) }
    }

    /// A 429 for `model`: slow that model's whole limiter down.
    public func throttled(model: String, retryAfter: Duration?) async {
        await limiter?.throttled(model: model, retryAfter: retryAfter)
    }

    /// Wakes every waiter (the build was cancelled); each then throws `CancellationError`.
    public func cancelAll() {
        cancelled = true
        let all = waiters
        waiters.removeAll()
        inFlight += all.count
        for w in all { w.resume() }
    }

    private func releaseSlot() {
        if waiters.isEmpty {
            inFlight -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
