import Synchronization
import Testing
@testable import AssetBuildCore

/// The limiter is driven by a manual clock: no test sleeps.
@Suite struct RateLimiterTests {
    /// `count` single-image requests admitted and finished (each brought its image).
    func deliver(_ count: Int, of model: String, through limiter: RateLimiter) async throws {
        for _ in 0..<count {
            let r = try await limiter.acquire(model: model, images: 1)
            await limiter.release(r, unusedImages: 0)
        }
    }

    /// Lets tasks spawned by the limiter run.
    func settle() async {
        for _ in 0..<50 { await Task.yield() }
    }

    @Test func admits_up_to_the_limit_then_waits_for_the_window() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limits: ["m": 10], defaultLimit: 500, clock: clock, margin: .zero)
        for _ in 0..<10 { _ = try await limiter.acquire(model: "m", images: 1) }
        let waiting = Task { try await limiter.acquire(model: "m", images: 1) }
        await settle()
        clock.advance(by: .seconds(59))
        await settle()
        #expect(clock.sleeperCount == 1)   // still waiting for the window to move
        clock.advance(by: .seconds(1))
        let r = try await waiting.value
        #expect(r.images == 1)
    }

    @Test func the_window_outlasts_the_services_by_a_margin() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limits: ["m": 1], defaultLimit: 500, clock: clock, margin: .seconds(2))
        _ = try await limiter.acquire(model: "m", images: 1)
        let admitted = Locked(false)
        let next = Task { _ = try await limiter.acquire(model: "m", images: 1); admitted.set(true) }
        await settle()
        clock.advance(by: .seconds(60))   // the service's window has moved on, ours not yet
        await settle()
        #expect(admitted.value == false)
        clock.advance(by: .seconds(2))
        try await next.value
        #expect(admitted.value == true)
    }

    @Test func a_group_reserves_its_maximum_and_gives_back_what_it_did_not_use() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limits: ["m": 10], defaultLimit: 500, clock: clock, margin: .zero)
        let group = try await limiter.acquire(model: "m", images: 8)
        let admitted = Locked(false)
        let next = Task {
            let r = try await limiter.acquire(model: "m", images: 5)
            admitted.set(true)
            return r
        }
        await settle()
        #expect(admitted.value == false)   // 8 + 5 > 10
        await limiter.release(group, unusedImages: 4)   // the group produced 4
        _ = try await next.value
        #expect(admitted.value == true)
    }

    @Test func waiters_are_served_first_come_first_served() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limits: ["m": 15], defaultLimit: 500, clock: clock, margin: .zero)
        _ = try await limiter.acquire(model: "m", images: 10)
        let order = Locked<[String]>([])
        let big = Task { _ = try await limiter.acquire(model: "m", images: 15); order.mutate { $0.append("big") } }
        await settle()
        let small = Task { _ = try await limiter.acquire(model: "m", images: 1); order.mutate { $0.append("small") } }
        await settle()
        // The small one would fit now (10 + 1 ≤ 15) but must not overtake the group.
        #expect(order.value.isEmpty)
        clock.advance(by: .seconds(60))
        _ = try await big.value
        clock.advance(by: .seconds(60))
        _ = try await small.value
        #expect(order.value == ["big", "small"])
    }

    @Test func a_429_slows_the_whole_model_and_it_recovers() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limits: ["m": 100], defaultLimit: 500, clock: clock, doubling: .seconds(60))
        #expect(await limiter.currentLimit("m") == 100)
        await limiter.throttled(model: "m", retryAfter: .seconds(10))
        #expect(await limiter.currentLimit("m") == 50)
        // Paused: nothing is admitted until Retry-After has passed.
        let admitted = Locked(false)
        let t = Task { _ = try await limiter.acquire(model: "m", images: 1); admitted.set(true) }
        await settle()
        clock.advance(by: .seconds(9))
        await settle()
        #expect(admitted.value == false)
        clock.advance(by: .seconds(1))
        try await t.value
        #expect(admitted.value == true)
        clock.advance(by: .seconds(20))   // 30 s after the 429: 50 x 2^(1/2)
        #expect(await limiter.currentLimit("m") == 70)
        clock.advance(by: .seconds(30))   // 60 s: doubled, whole again
        #expect(await limiter.currentLimit("m") == 100)
        clock.advance(by: .seconds(600))
        #expect(await limiter.currentLimit("m") == 100)
        // Other models are not affected.
        #expect(await limiter.currentLimit("other") == 500)
    }

    @Test func a_429_learns_a_limit_set_far_above_the_accounts_from_what_the_service_took() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limits: ["m": 500], defaultLimit: 500, clock: clock, doubling: .seconds(60), margin: .zero)
        // The account really allows 5 a minute: five went through, the sixth was refused.
        try await deliver(5, of: "m", through: limiter)
        // Still in flight: not yet known to be in the service's window, so not counted.
        _ = try await limiter.acquire(model: "m", images: 4)
        let refused = try await limiter.acquire(model: "m", images: 1)
        await limiter.release(refused, unusedImages: 1, throttled: true, retryAfter: nil, learn: true)
        #expect(await limiter.currentLimit("m") == 5, "one 429 is enough to learn the limit, not a halving per 429")
        // The next request waits for the window to move on, not just for the 2 s pause.
        let admitted = Locked(false)
        let next = Task { _ = try await limiter.acquire(model: "m", images: 1); admitted.set(true) }
        await settle()
        clock.advance(by: .seconds(10))
        await settle()
        #expect(admitted.value == false)
        clock.advance(by: .seconds(50))
        try await next.value
        #expect(admitted.value == true)
        // Slow start back up: 10 a minute after one window, 20 after two, whole after seven.
        #expect(await limiter.currentLimit("m") == 10)
        clock.advance(by: .seconds(60))
        #expect(await limiter.currentLimit("m") == 20)
        clock.advance(by: .seconds(360))
        #expect(await limiter.currentLimit("m") == 500)
    }

    @Test func a_429_that_is_not_the_image_limit_only_halves_the_rate() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limits: ["m": 500], defaultLimit: 500, clock: clock, margin: .zero)
        try await deliver(5, of: "m", through: limiter)
        let refused = try await limiter.acquire(model: "m", images: 1)
        await limiter.release(refused, unusedImages: 1, throttled: true, retryAfter: nil, learn: false)   // ServerOverloaded
        #expect(await limiter.currentLimit("m") == 250)
    }

    @Test func a_closed_limiter_stops_its_waiters_and_admits_nothing_more() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limits: ["m": 1], defaultLimit: 500, clock: clock)
        _ = try await limiter.acquire(model: "m", images: 1)
        let waiting = Task { try await limiter.acquire(model: "m", images: 1) }
        await settle()
        await limiter.close()
        await #expect(throws: BuildStopped.self) { try await waiting.value }
        await #expect(throws: BuildStopped.self) { try await limiter.acquire(model: "other", images: 1) }
    }

    @Test func a_request_larger_than_the_limit_runs_alone() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limits: ["m": 4], defaultLimit: 500, clock: clock)
        let r = try await limiter.acquire(model: "m", images: 15)
        #expect(r.images == 15)
    }

    @Test func cancelling_a_waiter_frees_the_queue() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limits: ["m": 2], defaultLimit: 500, clock: clock)
        _ = try await limiter.acquire(model: "m", images: 2)
        let blocked = Task { try await limiter.acquire(model: "m", images: 2) }
        await settle()
        blocked.cancel()
        await #expect(throws: CancellationError.self) { try await blocked.value }
    }
}

/// A value shared between a test and the tasks it starts.
final class Locked<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    var value: Value { state.withLock { $0 } }
    func set(_ v: Value) { state.withLock { $0 = v } }
    func mutate(_ f: (inout Value) -> Void) { state.withLock { f(&$0) } }
}
