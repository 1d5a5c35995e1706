import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders
/// Admission for paid requests: the per-model images-per-minute limiter first (a request reserves
/// its image count), then one of `concurrency` slots, first come first served.
public actor RequestGate {
    /// What an admitted request holds; give it back with `release`.
    public struct Ticket: Sendable {
        public let model: String
        package let reservation: RateLimiter.Reservation?
    }

    private let capacity: Int
    private let limiter: (any RateLimiting)?
    private var inFlight = 0
    /// Requests waiting for a slot, first come first served; the id lets a cancelled one leave.
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextWaiter: UInt64 = 0
    private var cancelled = false
    private var closed = false

    private let stopOnFailure: Bool

    public init(concurrency: Int, limiter: (any RateLimiting)? = nil, stopOnFailure: Bool = false) {
        self.capacity = max(1, concurrency)
        self.limiter = limiter
        self.stopOnFailure = stopOnFailure
    }

    public var requestsInFlight: Int { inFlight }

    /// How many requests are waiting for a slot.
    public var requestsWaiting: Int { waiters.count }

    /// Waits for the rate limit and a slot. Call `release` exactly once afterwards.
    public func acquire(model: String, images: Int) async throws -> Ticket {
        if closed { throw BuildStopped() }
        let reservation = try await limiter?.acquire(model: model, images: images)
        if cancelled || closed {
            if let r = reservation { await giveBack(r) }
            if cancelled { throw CancellationError() }
            throw BuildStopped()
        }
        if inFlight < capacity {
            inFlight += 1
        } else {
            do {
                try await waitForSlot()
            } catch {
                if let r = reservation { await giveBack(r) }
                throw error
            }
        }
        if cancelled || closed || Task.isCancelled {
            releaseSlot()
            if let r = reservation { await giveBack(r) }
            if closed && !cancelled && !Task.isCancelled { throw BuildStopped() }
            throw CancellationError()
        }
        if let r = reservation { await limiter?.restamp(r) }
        return Ticket(model: model, reservation: reservation)
    }

    /// Gives the slot back; `unusedImages` returns reserved images a group did not produce.
    /// `throttled`: the request met a 429, so its model's whole limiter slows down first.
    /// `failed`: the request failed for good; without keep-going nothing queued is sent after it.
    /// Both take effect before the slot frees, so no waiter slips out in between.
    public func release(_ ticket: Ticket, unusedImages: Int = 0, throttled: Bool = false,
                        retryAfter: Duration? = nil, learnLimit: Bool = false, failed: Bool = false) async {
        if failed && stopOnFailure { await close() }
        if let r = ticket.reservation {
            await limiter?.release(r, unusedImages: unusedImages, throttled: throttled, retryAfter: retryAfter, learn: learnLimit)
        } else if throttled {
            await limiter?.throttled(model: ticket.model, retryAfter: retryAfter, learn: learnLimit)
        }
        releaseSlot()
    }

    /// Returns a whole reservation that was never used (the request was not sent).
    private func giveBack(_ reservation: RateLimiter.Reservation) async {
        await limiter?.release(reservation, unusedImages: reservation.images, throttled: false, retryAfter: nil, learn: false)
    }

    /// Stops admitting (a target failed and the build does not keep going): every request still
    /// waiting, and every later one, throws `BuildStopped`; requests already sent finish.
    public func close() async {
        guard !closed else { return }
        closed = true
        let all = waiters
        waiters.removeAll()
        inFlight += all.count
        for w in all { w.continuation.resume() }
        await limiter?.close()
    }

    /// Wakes every waiter (the build was cancelled); each then throws `CancellationError`.
    public func cancelAll() {
        cancelled = true
        let all = waiters
        waiters.removeAll()
        inFlight += all.count
        for w in all { w.continuation.resume() }
    }

    /// Queues for a slot. A cancelled task leaves the queue at once with `CancellationError`,
    /// holding no slot.
    private func waitForSlot() async throws {
        let id = nextWaiter
        nextWaiter += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled { c.resume(throwing: CancellationError()) } else { waiters.append((id, c)) }
            }
        } onCancel: {
            Task { await self.leave(id) }
        }
    }

    /// A cancelled waiter leaves the queue; one already woken keeps its slot and gives it back
    /// after `acquire` sees the cancellation.
    private func leave(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    private func releaseSlot() {
        if waiters.isEmpty {
            inFlight -= 1
        } else {
            waiters.removeFirst().continuation.resume()
        }
    }
}

/// A request that was never sent because the build stopped admitting after a failure.
public struct BuildStopped: Error, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "not sent: the build stopped after a failure (use -k to keep going)" }
}
