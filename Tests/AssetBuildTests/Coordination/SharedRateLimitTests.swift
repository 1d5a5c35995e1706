import Foundation
import Testing
@testable import AssetBuildCore

/// The images-per-minute limit shared through a real redis-server. Redis' clock cannot be driven
/// by a test, so these count admissions within one window (a minute is far longer than a test)
/// and read the waits Redis answers instead of waiting them out. The limit recovers after a 429
/// over an hour here, and "about a minute" allows for the time the test itself took, so a machine
/// that stalls the test for seconds between two calls does not change what is asserted.
@Suite struct SharedRateLimitTests {
    /// Two runners: each its own connection, as two machines would have.
    func runners(_ redis: LoopbackServer) -> (RedisRateLimit, RedisRateLimit) {
        (RedisRateLimit(connection: RedisConnection(url: redis.redisURL), doubling: .seconds(3600)),
         RedisRateLimit(connection: RedisConnection(url: redis.redisURL), doubling: .seconds(3600)))
    }

    /// A wait until the window that began after `start` ends: at most a minute, and at least a
    /// minute less the time the test has taken since `start` (so a machine that stalls the test
    /// between two calls shortens what is expected instead of failing it).
    func isWaitOfAboutAMinute(since start: ContinuousClock.Instant, _ a: RedisRateLimit.Admission) -> Bool {
        guard case .wait(let d, _) = a else { return false }
        let elapsed = ContinuousClock.now - start
        return d > .zero && d >= .seconds(60) - elapsed - .seconds(1) && d <= .seconds(62)
    }

    @Test func twoRunnersShareOneLimit() async throws {
        let redis = try await LoopbackServer.redis()
        let start = ContinuousClock.now
        let (a, b) = runners(redis)
        var admitted = 0
        var waits: [RedisRateLimit.Admission] = []
        for i in 0..<8 {
            let runner = i.isMultiple(of: 2) ? a : b
            let answer = try await runner.admit(model: "m", id: "r\(i)", images: 1, limit: 5)
            if case .admitted(limit: 5) = answer { admitted += 1 } else { waits.append(answer) }
        }
        #expect(admitted == 5)
        #expect(waits.count == 3 && waits.allSatisfy { isWaitOfAboutAMinute(since: start, $0) }, "\(waits)")
        // Another model has its own limit.
        #expect(try await b.admit(model: "other", id: "o", images: 5, limit: 5) == .admitted(limit: 5))
    }

    /// The rule for a request above the whole limit: it is admitted alone in an empty window, and
    /// nobody behind it in line passes it meanwhile, so it never waits forever.
    @Test func aGroupAboveTheLimitPassesAloneAndIsNotStarved() async throws {
        let redis = try await LoopbackServer.redis()
        let start = ContinuousClock.now
        let (a, b) = runners(redis)
        #expect(try await b.admit(model: "m", id: "g1", images: 15, limit: 10) == .admitted(limit: 10))
        #expect(isWaitOfAboutAMinute(since: start, try await a.admit(model: "m", id: "s1", images: 1, limit: 10)))

        let (c, d) = runners(redis)
        #expect(try await c.admit(model: "n", id: "s2", images: 3, limit: 10) == .admitted(limit: 10))
        #expect(isWaitOfAboutAMinute(since: start, try await d.admit(model: "n", id: "g2", images: 15, limit: 10)))
        // 3 + 1 fits in 10, but the group asked first: the single waits behind it.
        let behind = try await c.admit(model: "n", id: "s3", images: 1, limit: 10)
        #expect(isWaitOfAboutAMinute(since: start, behind), "\(behind)")
        let queue = try await d.connection.command(["ZRANGE", d.keys("n")[3], "0", "-1"])
        #expect(queue == .array([.string("g2"), .string("s3")]))
        // A waiter that gives up leaves the line.
        try await d.leave(model: "n", id: "g2")
        #expect(try await c.admit(model: "n", id: "s3", images: 1, limit: 10) == .admitted(limit: 10))
    }

    @Test func unusedImagesOfAGroupAreGivenBack() async throws {
        let redis = try await LoopbackServer.redis()
        let start = ContinuousClock.now
        let (a, b) = runners(redis)
        #expect(try await a.admit(model: "m", id: "group", images: 5, limit: 5) == .admitted(limit: 5))
        #expect(isWaitOfAboutAMinute(since: start, try await b.admit(model: "m", id: "x", images: 1, limit: 5)))
        try await b.leave(model: "m", id: "x")
        // The group made 2 of its 5.
        #expect(try await a.settle(model: "m", id: "group", unusedImages: 3, limit: 5) == 5)
        #expect(try await b.admit(model: "m", id: "y", images: 3, limit: 5) == .admitted(limit: 5))
        #expect(isWaitOfAboutAMinute(since: start, try await b.admit(model: "m", id: "z", images: 1, limit: 5)))
        // The running sums: 2 of the group (done) and 3 in flight.
        let sums = try await a.connection.command(["HMGET", a.keys("m")[6], "used", "taken"])
        #expect(sums == .array([.string("5"), .string("2")]))
    }

    @Test func aTooManyRequestsSeenByOneRunnerPausesEveryRunner() async throws {
        let redis = try await LoopbackServer.redis()
        let (a, b) = runners(redis)
        try await a.settle(model: "m", id: "", unusedImages: 0, throttle: true, retryAfter: .seconds(600), limit: 100)
        guard case .wait(let wait, limit: let limit) = try await b.admit(model: "m", id: "x", images: 1, limit: 100) else {
            Issue.record("the other runner must pause until Retry-After"); return
        }
        #expect(wait > .seconds(500) && wait <= .seconds(600), "\(wait)")
        #expect(limit == 50, "the rate is halved")
    }

    /// An images-per-minute 429 teaches the account's real limit: what the service had taken.
    @Test func aLearntLimitHoldsForEveryRunner() async throws {
        let redis = try await LoopbackServer.redis()
        let (a, b) = runners(redis)
        for i in 0..<4 {
            #expect(try await a.admit(model: "m", id: "r\(i)", images: 1, limit: 10) == .admitted(limit: 10))
            try await a.settle(model: "m", id: "r\(i)", unusedImages: 0, limit: 10)
        }
        #expect(try await a.admit(model: "m", id: "r4", images: 1, limit: 10) == .admitted(limit: 10))
        // The fifth was refused: nothing produced, and the limit learnt is the four taken.
        let learnt = try await a.settle(model: "m", id: "r4", unusedImages: 1, throttle: true, retryAfter: .zero, learn: true, limit: 10)
        #expect(learnt == 4)
        guard case .wait(let wait, limit: 4) = try await b.admit(model: "m", id: "x", images: 1, limit: 10) else {
            Issue.record("the other runner must see the learnt limit"); return
        }
        // The limit recovers (doubling back): it is looked at again within seconds, not a minute.
        #expect(wait <= .seconds(5), "\(wait)")
    }
}
