import Foundation
import Testing
@testable import AssetBuildCore

/// Leases per action key through a real redis-server: exclusive across runners, renewed while
/// held, expired when the holder died, and local again (with one warning) when Redis goes away.
@Suite struct RedisActionLeasesTests {
    func runner(_ redis: LoopbackServer, ttl: Duration = .seconds(30), warnings: WarningLog = WarningLog()) -> (RedisActionLeases, Coordination) {
        let coordination = Coordination(url: redis.redisURL, leaseTTL: ttl, maxPoll: .milliseconds(20), warn: warnings.sink)
        return (RedisActionLeases(coordination: coordination), coordination)
    }

    func holder(_ redis: LoopbackServer, of key: String) async throws -> String? {
        try await RedisConnection(url: redis.redisURL).command(["GET", "assetbuild:lease:\(key)"]).string
    }

    @Test func aLeaseIsExclusiveAcrossRunnersAndRenewedWhileHeld() async throws {
        let redis = try await LoopbackServer.redis()
        // The holder's renewals run on a manual clock, so the test decides when they are due and
        // a loaded machine cannot make one late; Redis's own time to live (10 min) never runs out,
        // and a command may take 30 s on a machine that stalls the test.
        let clock = ManualClock()
        let coordinationA = Coordination(url: redis.redisURL, clock: clock, leaseTTL: .seconds(600), maxPoll: .milliseconds(20),
                                         commandTimeout: .seconds(30), warn: WarningLog().sink)
        let a = RedisActionLeases(coordination: coordinationA)
        let (b, _) = runner(redis)
        guard case .held(let lease) = try await a.acquire(key: "k") else { Issue.record("the first runner holds it"); return }
        let redisLease = try #require(lease as? RedisLease)
        let waiter = Task { try await b.acquire(key: "k") }
        // Three renewals, each due after a third of the time to live.
        for n in 1...3 {
            while clock.sleeperCount == 0 { await Task.yield() }
            clock.advance(by: .seconds(200))
            while redisLease.renewals.count < n {
                try #require(redisLease.renewals.going, "the lease was lost or Redis failed")
                await Task.yield()
            }
        }
        #expect(try await holder(redis, of: "k")?.hasPrefix(coordinationA.runner) == true)
        await lease.release()
        guard case .freed = try await waiter.value else { Issue.record("the waiter is told the holder is done"); return }
        #expect(try await holder(redis, of: "k") == nil)
        guard case .held(let next) = try await b.acquire(key: "k") else { Issue.record("the freed key is taken again"); return }
        await next.release()
    }

    /// What a holder killed with `kill -9` leaves: a lease nobody renews. It expires after its
    /// time to live and the next runner proceeds.
    @Test func aDeadHoldersLeaseExpiresAndTheNextRunnerProceeds() async throws {
        let redis = try await LoopbackServer.redis()
        let store = RedisLeaseStore(connection: RedisConnection(url: redis.redisURL))
        #expect(try await store.tryAcquire("k", token: "dead-runner", ttl: .milliseconds(200)))
        let (b, coordinationB) = runner(redis)
        // `.freed` once it expired (or `.held` at once, when the machine was slow enough that it
        // had expired before the first look), then the runner takes it.
        var outcome = try await b.acquire(key: "k")
        if case .freed = outcome { outcome = try await b.acquire(key: "k") }
        guard case .held(let lease) = outcome else { Issue.record("the runner takes the expired lease"); return }
        #expect(try await holder(redis, of: "k")?.hasPrefix(coordinationB.runner) == true)
        // Only the holder's token releases it.
        #expect(try await !store.release("k", token: "dead-runner"))
        #expect(try await holder(redis, of: "k") != nil)
        await lease.release()
        #expect(try await holder(redis, of: "k") == nil)
    }

    /// Two targets of one build with the same key wait for each other in the process: only one
    /// of them asks Redis.
    @Test func twoTargetsInOneProcessAskRedisOnce() async throws {
        let redis = try await LoopbackServer.redis()
        let (a, _) = runner(redis)
        guard case .held(let lease) = try await a.acquire(key: "k") else { Issue.record("held"); return }
        let twin = Task { try await a.acquire(key: "k") }
        while await a.waiting(for: "k") == 0 { await Task.yield() }
        await lease.release()
        guard case .freed = try await twin.value else { Issue.record("the twin looks for the result"); return }
        let stats = try await RedisConnection(url: redis.redisURL).command(["INFO", "commandstats"]).string ?? ""
        #expect(stats.contains("cmdstat_set:calls=1,"), "\(stats)")
    }

    @Test func aCancelledWaiterReturnsAtOnce() async throws {
        let redis = try await LoopbackServer.redis()
        let store = RedisLeaseStore(connection: RedisConnection(url: redis.redisURL))
        #expect(try await store.tryAcquire("k", token: "other", ttl: .seconds(60)))
        let (b, _) = runner(redis)
        let waiter = Task { try await b.acquire(key: "k") }
        let admin = RedisConnection(url: redis.redisURL)
        while !(try await admin.command(["INFO", "commandstats"]).string ?? "").contains("cmdstat_pttl") { await Task.yield() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        // Its in-process lease was given back: once the other runner is done, this one takes it.
        #expect(try await store.release("k", token: "other"))
        guard case .held(let lease) = try await b.acquire(key: "k") else { Issue.record("held"); return }
        await lease.release()
    }

    @Test func redisKilledWhileWaitingFreesTheWaiterAndLeasesGoLocal() async throws {
        let redis = try await LoopbackServer.redis()
        let store = RedisLeaseStore(connection: RedisConnection(url: redis.redisURL))
        #expect(try await store.tryAcquire("k", token: "other", ttl: .seconds(60)))
        let warnings = WarningLog()
        let (b, coordination) = runner(redis, warnings: warnings)
        let waiter = Task { try await b.acquire(key: "k") }
        let admin = RedisConnection(url: redis.redisURL)
        while !(try await admin.command(["INFO", "commandstats"]).string ?? "").contains("cmdstat_pttl") { await Task.yield() }
        redis.stop()
        guard case .freed = try await waiter.value else { Issue.record("the waiter looks for the result, then asks again"); return }
        #expect(coordination.isDegraded)
        guard case .held(let lease) = try await b.acquire(key: "k") else { Issue.record("local leases now"); return }
        #expect(!(lease is RedisLease))
        await lease.release()
        #expect(warnings.all.count == 1)
        #expect(warnings.all.first?.contains("redis://127.0.0.1:\(redis.port)/0") == true, "\(warnings.all)")
    }
}
