import FakeArk
import Foundation
import Testing
@testable import AssetBuildCore

/// The real binary, two runners of one account: two checkouts of one manifest building at once
/// against one fake Ark with an images-per-minute limit, sharing a real redis-server.
@Suite("Coordination end to end")
struct CoordinationEndToEndTests {
    static let manifest = """
        version: 1
        provider:
          rate_limits:
            doubao-seedream-4-0-250828: 3
        defaults: {model: doubao-seedream-4-0-250828, size: 1K}
        targets:
          fox:
            prompt: "A fox sitting, flat vector"
          tree:
            prompt: "A lone tree on a hill"

        """

    /// Each runner alone stays within 3 per minute, together they need 4: with the limit shared,
    /// the fourth image waits for the window (so this test lasts about a minute, by nature) and the
    /// fake never answers 429: exactly one request per image, no retries.
    @Test("two runners sharing Redis never meet the account's 429")
    func twoRunnersShareTheLimit() async throws {
        let redis = try await LoopbackServer.redis()
        // The fake account counts over 40 s instead of 60: a request a loaded machine holds up for
        // seconds between the shared limiter and the fake still lands after the window, while two
        // runners that did not share the limit would send all 4 images at once and meet a 429.
        try await withArk(Self.manifest, { $0.imagesPerMinute = 3; $0.imagesPerMinuteWindow = .seconds(40) }) { a in
            let b = try CLIWorkspace(manifest: Self.manifest)
            var env = a.environment()
            env[CoordinationSettings.redisVariable] = "redis://127.0.0.1:\(redis.port)/0"
            let args = ["build", "--provider", "ark", "--json"]
            async let first = assetbuild(args, in: a.dir.path, environment: env, timeout: .seconds(300))
            async let second = assetbuild(args, in: b.path, environment: env, timeout: .seconds(300))
            let results = try await [first, second]
            for r in results {
                #expect(r.status == 0, "\(r)")
                #expect(try r.finished()["retries"] as? Int == 0, "\(r)")
                #expect(!r.stderr.contains("Redis coordination stopped"), "\(r)")
            }
            #expect(a.fake.generationRequests.count == 4, "every image paid once, none refused")
            let paid = try results.map { try $0.summary("requests") }
            #expect(paid == [2, 2], "\(paid)")
        }
    }

    @Test("an unreachable Redis is one warning, and the build goes on with local limits")
    func unreachableRedisDegrades() async throws {
        let redis = try await LoopbackServer.redis()
        let port = redis.port
        redis.stop()
        try await withArk(Self.manifest, { $0.imagesPerMinute = 3 }) { s in
            var env = s.environment()
            env[CoordinationSettings.redisVariable] = "redis://:hunter2@127.0.0.1:\(port)/0"
            let r = try await s.ws.run(["build", "--provider", "ark"], environment: env)
            #expect(r.status == 0, "\(r)")
            let warnings = r.stderr.split(separator: "\n").filter { $0.contains("Redis coordination stopped") }
            #expect(warnings.count == 1, "\(r.stderr)")
            #expect(warnings.first?.contains("cannot connect to redis://127.0.0.1:\(port)/0") == true, "\(r.stderr)")
            #expect(!r.stderr.contains("hunter2") && !r.stdout.contains("hunter2"))
            #expect(s.fake.generationRequests.count == 2)
        }
    }

    @Test("a bad ASSETBUILD_REDIS_URL exits 2 before anything is sent, without its password")
    func badRedisURLExitsTwo() async throws {
        try await withArk(Self.manifest) { s in
            var env = s.environment()
            env[CoordinationSettings.redisVariable] = "redis://:hunter2@cache.internal:http/0"
            let r = try await s.ws.run(["build", "--provider", "ark"], environment: env)
            #expect(r.status == 2, "\(r)")
            #expect(r.stderr == "error: ASSETBUILD_REDIS_URL: 'http' in redis://********@cache.internal:http/0 is not a port (1 to 65535)\n", "\(r.stderr)")
            #expect(s.fake.requests.isEmpty)
        }
    }
}
