import Foundation
import Testing
@testable import AssetBuildCore

/// `SharedRateLimiter` behind the gate's interface: shared through Redis while it answers, this
/// process's own limiter (after one warning) once it does not.
@Suite struct SharedRateLimiterTests {
    func limiter(_ url: RedisURL, limit: Int, warnings: WarningLog) -> (SharedRateLimiter, Coordination) {
        let coordination = Coordination(url: url, maxRatePause: .milliseconds(20), warn: warnings.sink)
        let local = RateLimiter(limits: ["m": limit], defaultLimit: 500, clock: SystemClock())
        return (SharedRateLimiter(coordination: coordination, local: local, limits: ["m": limit], defaultLimit: 500), coordination)
    }

    /// The request waiting in Redis' line for `model`, if any.
    func queued(_ redis: LoopbackServer) async throws -> Int {
        let probe = RedisRateLimit(connection: RedisConnection(url: redis.redisURL))
        return try await probe.connection.command(["ZCARD", probe.keys("m")[3]]).integer ?? -1
    }

    @Test func runnersShareTheLimitAndACancelledWaiterLeavesTheLine() async throws {
        let redis = try await LoopbackServer.redis()
        let warnings = WarningLog()
        let (a, _) = limiter(redis.redisURL, limit: 2, warnings: warnings)
        let (b, _) = limiter(redis.redisURL, limit: 2, warnings: warnings)
        let first = try await a.acquire(model: "m", images: 1)
        let second = try await b.acquire(model: "m", images: 1)
        await a.restamp(first)
        await a.release(first, unusedImages: 0, throttled: false, retryAfter: nil, learn: false)
        await b.release(second, unusedImages: 0, throttled: false, retryAfter: nil, learn: false)
        let third = Task { try await b.acquire(model: "m", images: 1) }
        while try await queued(redis) == 0 { await Task.yield() }
        third.cancel()
        await #expect(throws: CancellationError.self) { try await third.value }
        while try await queued(redis) != 0 { await Task.yield() }
        #expect(warnings.all.isEmpty)
    }

    @Test func aClosedLimiterStopsItsWaiters() async throws {
        let redis = try await LoopbackServer.redis()
        let warnings = WarningLog()
        let (a, _) = limiter(redis.redisURL, limit: 1, warnings: warnings)
        _ = try await a.acquire(model: "m", images: 1)
        let waiter = Task { try await a.acquire(model: "m", images: 1) }
        while try await queued(redis) == 0 { await Task.yield() }
        await a.close()
        await #expect(throws: BuildStopped.self) { try await waiter.value }
    }

    @Test func redisKilledMidWaitFallsBackToTheLocalLimitWithOneWarning() async throws {
        let redis = try await LoopbackServer.redis()
        let warnings = WarningLog()
        let (a, coordination) = limiter(RedisURL(host: "127.0.0.1", port: redis.port, password: nil), limit: 1, warnings: warnings)
        _ = try await a.acquire(model: "m", images: 1)
        let waiter = Task { try await a.acquire(model: "m", images: 1) }
        while try await queued(redis) == 0 { await Task.yield() }
        redis.stop()
        // The local limiter's window is empty: admitted at once.
        let local = try await waiter.value
        #expect(local.images == 1 && local.id > 0)
        #expect(coordination.isDegraded)
        #expect(warnings.all.count == 1)
        let warning = try #require(warnings.all.first)
        #expect(warning.hasPrefix("Redis coordination stopped: ") && warning.contains("redis://127.0.0.1:\(redis.port)/0"), "\(warning)")
        // Later requests stay local, without another warning; a 429 slows the local limiter.
        _ = try await a.acquire(model: "m", images: 0)
        await a.throttled(model: "m", retryAfter: .seconds(1), learn: false)
        #expect(warnings.all.count == 1)
    }

    @Test func anUnreachableRedisAtTheStartIsOneWarningAndLocalLimits() async throws {
        let redis = try await LoopbackServer.redis()
        let port = redis.port
        redis.stop()
        let warnings = WarningLog()
        let (a, _) = limiter(RedisURL(host: "127.0.0.1", port: port, password: "hunter2"), limit: 2, warnings: warnings)
        for _ in 0..<2 { _ = try await a.acquire(model: "m", images: 1) }
        #expect(warnings.all.count == 1)
        let warning = try #require(warnings.all.first)
        #expect(warning.hasPrefix("Redis coordination stopped: cannot connect to redis://127.0.0.1:\(port)/0 ("), "\(warning)")
        #expect(!warning.contains("hunter2"))
    }
}
