import Foundation
import AssetBuildSupport
import AssetBuildCoordination

/// The images-per-minute limit shared with every runner of the account through Redis
/// (`RedisRateLimit`: one Lua script per step, on the server's clock). It keeps the local
/// limiter's rules and interface: a request reserves its image count, gives back what it did not
/// produce, and a 429 slows the model (here for every runner). When Redis fails, the warning is
/// given once and this process goes on with `local`, the limiter it would have had without Redis.
package actor SharedRateLimiter: RateLimiting {
    private let coordination: Coordination
    private let local: RateLimiter
    private let limits: [String: Int]
    private let defaultLimit: Int
    /// Reservations held in Redis, by their (negative) id: the id Redis knows them by.
    private var shared: [Int: String] = [:]
    private var nextID = 0
    private var closed = false
    /// Waiters sleeping until they may ask Redis again; `close` wakes them.
    private var sleepers: [Int: (continuation: CheckedContinuation<Void, any Error>, timer: Task<Void, Never>)] = [:]

    package init(coordination: Coordination, local: RateLimiter, limits: [String: Int], defaultLimit: Int) {
        self.coordination = coordination
        self.local = local
        self.limits = limits
        self.defaultLimit = max(1, defaultLimit)
    }

    private func limit(_ model: String) -> Int { max(1, limits[model] ?? defaultLimit) }

    package func acquire(model: String, images: Int) async throws -> RateLimiter.Reservation {
        try Task.checkCancellation()
        if closed { throw BuildStopped() }
        if images <= 0 || coordination.isDegraded { return try await local.acquire(model: model, images: images) }
        nextID += 1
        let id = -nextID
        let name = "\(coordination.runner):\(nextID)"
        let rateLimit = coordination.rateLimit
        let limit = limit(model)
        while true {
            let answer: RedisRateLimit.Admission?
            do {
                answer = try await coordination.attempt { try await rateLimit.admit(model: model, id: name, images: images, limit: limit) }
            } catch {
                await leave(model: model, name: name)
                throw error
            }
            switch answer {
            case nil:
                return try await local.acquire(model: model, images: images)
            case .admitted?:
                if closed {
                    _ = try? await coordination.attempt { try await rateLimit.settle(model: model, id: name, unusedImages: images, limit: limit) }
                    throw BuildStopped()
                }
                shared[id] = name
                return RateLimiter.Reservation(id: id, model: model, images: images)
            case .wait(let wait, _)?:
                do {
                    try await pause(min(wait, coordination.maxRatePause), id: id)
                } catch {
                    await leave(model: model, name: name)
                    throw error
                }
            }
        }
    }

    package func restamp(_ reservation: RateLimiter.Reservation) async {
        guard let name = shared[reservation.id] else { return await local.restamp(reservation) }
        let rateLimit = coordination.rateLimit
        _ = try? await coordination.attempt { try await rateLimit.restamp(model: reservation.model, id: name) }
    }

    package func release(_ reservation: RateLimiter.Reservation, unusedImages: Int, throttled: Bool, retryAfter: Duration?,
                         learn: Bool) async {
        guard let name = shared.removeValue(forKey: reservation.id) else {
            await local.release(reservation, unusedImages: unusedImages, throttled: false, retryAfter: nil, learn: false)
            if throttled { await self.throttled(model: reservation.model, retryAfter: retryAfter, learn: learn) }
            return
        }
        let rateLimit = coordination.rateLimit, limit = limit(reservation.model)
        let settled = try? await coordination.attempt {
            try await rateLimit.settle(model: reservation.model, id: name, unusedImages: unusedImages, throttle: throttled,
                                       retryAfter: retryAfter, learn: learn, limit: limit)
        }
        if settled == nil, throttled { await local.throttled(model: reservation.model, retryAfter: retryAfter, learn: learn) }
    }

    /// A 429 (of a request that held no reservation, or of one reserved locally): every runner
    /// slows down, or this one alone once Redis is gone.
    package func throttled(model: String, retryAfter: Duration?, learn: Bool) async {
        let rateLimit = coordination.rateLimit, limit = limit(model)
        let settled = try? await coordination.attempt {
            try await rateLimit.settle(model: model, id: "", unusedImages: 0, throttle: true, retryAfter: retryAfter, learn: learn, limit: limit)
        }
        if settled == nil { await local.throttled(model: model, retryAfter: retryAfter, learn: learn) }
    }

    package func close() async {
        closed = true
        for (_, s) in sleepers {
            s.timer.cancel()
            s.continuation.resume(throwing: BuildStopped())
        }
        sleepers.removeAll()
        await local.close()
    }

    // MARK: Waiting

    /// Sleeps `duration` on the build's clock; `close` ends it with `BuildStopped`, cancellation
    /// at once with `CancellationError`.
    private func pause(_ duration: Duration, id: Int) async throws {
        let clock = coordination.clock
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                if closed { return c.resume(throwing: BuildStopped()) }
                if Task.isCancelled { return c.resume(throwing: CancellationError()) }
                let timer = Task { [weak self] in
                    try? await clock.sleep(for: duration)
                    await self?.wake(id, throwing: nil)
                }
                sleepers[id] = (c, timer)
            }
        } onCancel: {
            Task { await self.wake(id, throwing: CancellationError()) }
        }
    }

    private func wake(_ id: Int, throwing error: (any Error)?) {
        guard let s = sleepers.removeValue(forKey: id) else { return }
        if let error {
            s.timer.cancel()
            s.continuation.resume(throwing: error)
        } else {
            s.continuation.resume()
        }
    }

    /// A waiter that gave up leaves Redis' queue, so nobody waits behind it.
    private func leave(model: String, name: String) async {
        let rateLimit = coordination.rateLimit
        _ = try? await coordination.attempt { try await rateLimit.leave(model: model, id: name) }
    }
}
