import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

/// Warnings a `Coordination` gave, for the tests.
final class WarningLog: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var sink: @Sendable (String) -> Void { { [self] line in lines.withLock { $0.append(line) } } }
}

extension LoopbackServer {
    var redisURL: RedisURL { RedisURL(host: "127.0.0.1", port: port) }
}

@Suite struct RedisURLTests {
    @Test func parsesHostPortPasswordAndDatabase() throws {
        #expect(try RedisURL.parse("redis://127.0.0.1:6390/2") == RedisURL(host: "127.0.0.1", port: 6390, database: 2))
        #expect(try RedisURL.parse("redis://cache.internal") == RedisURL(host: "cache.internal"))
        let withPassword = try RedisURL.parse("redis://:s%40cret@10.0.0.5:6379/1")
        #expect(withPassword.password == "s@cret" && withPassword.user == nil && withPassword.database == 1)
        let acl = try RedisURL.parse("redis://ci:pw@[::1]:7000")
        #expect(acl.user == "ci" && acl.password == "pw" && acl.host == "::1" && acl.port == 7000)
        // Never printed: messages name the server only.
        #expect(withPassword.description == "redis://10.0.0.5:6379/1")
        #expect(acl.description == "redis://[::1]:7000/0")
    }

    @Test func aBadURLSaysWhatIsWrongWithoutThePassword() {
        func message(_ text: String) -> String {
            do { _ = try RedisURL.parse(text); return "parsed" } catch { return error.description }
        }
        #expect(message("127.0.0.1:6379") == "'127.0.0.1:6379' is not a Redis URL; did you mean 'redis://127.0.0.1:6379'? (the form is redis://[:password@]host[:port][/db], such as redis://127.0.0.1:6379/0)")
        #expect(message(":pw@h:1") == "'********@h:1' is not a Redis URL; did you mean 'redis://********@h:1'? (the form is redis://[:password@]host[:port][/db], such as redis://127.0.0.1:6379/0)")
        #expect(message("redsi://h") == "unsupported scheme 'redsi://'; did you mean 'redis'?; the form is redis://[:password@]host[:port][/db], such as redis://127.0.0.1:6379/0")
        #expect(message("rediss://h").contains("TLS is not supported"))
        #expect(message("redis://:hunter2@h:99999") == "'99999' in redis://********@h:99999 is not a port (1 to 65535)")
        #expect(message("redis://:hunter2@h/x") == "'/x' in redis://********@h/x is not a database number; the form is redis://[:password@]host[:port][/db], such as redis://127.0.0.1:6379/0")
        #expect(message("redis://:hunter2@:6379") == "redis://********@:6379 names no host; the form is redis://[:password@]host[:port][/db], such as redis://127.0.0.1:6379/0")
    }
}

@Suite struct RedisConnectionTests {
    @Test func sendsCommandsAndRunsScriptsAgainAfterTheServerForgetsThem() async throws {
        let redis = try await LoopbackServer.redis()
        let c = RedisConnection(url: redis.redisURL)
        #expect(try await c.command(["SET", "k", "v"]) == .status("OK"))
        #expect(try await c.command(["GET", "k"]) == .string("v"))
        #expect(try await c.command(["GET", "none"]) == .null)
        #expect(try await c.command(["INCRBY", "n", "41"]) == .integer(41))
        guard case .error(let unknown) = try await c.command(["NOSUCHCOMMAND"]) else { Issue.record("an error reply"); return }
        #expect(unknown.hasPrefix("ERR unknown command"))
        let script = "return {KEYS[1], tonumber(ARGV[1]) + 1}"
        #expect(try await c.eval(script, keys: ["a"], arguments: ["1"]) == .array([.string("a"), .integer(2)]))
        // A restarted or flushed server no longer knows the script: EVALSHA's NOSCRIPT falls back to EVAL.
        #expect(try await c.command(["SCRIPT", "FLUSH"]) == .status("OK"))
        #expect(try await c.eval(script, keys: ["b"], arguments: ["2"]) == .array([.string("b"), .integer(3)]))
        let stats = try await c.command(["INFO", "commandstats"]).string ?? ""
        #expect(stats.contains("cmdstat_evalsha:calls=2"), "\(stats)")
        #expect(stats.contains("cmdstat_eval:calls=1"), "\(stats)")
    }

    @Test func authenticatesAndSelectsTheDatabaseFromTheURL() async throws {
        let redis = try await LoopbackServer.redis()
        let admin = RedisConnection(url: redis.redisURL)
        _ = try await admin.command(["SET", "where", "db0"])
        #expect(try await admin.command(["CONFIG", "SET", "requirepass", "hunter2"]) == .status("OK"))
        let good = RedisConnection(url: RedisURL(host: "127.0.0.1", port: redis.port, password: "hunter2", database: 3))
        #expect(try await good.command(["GET", "where"]) == .null)
        _ = try await good.command(["SET", "where", "db3"])
        let db0 = RedisConnection(url: RedisURL(host: "127.0.0.1", port: redis.port, password: "hunter2"))
        #expect(try await db0.command(["GET", "where"]) == .string("db0"))
        let wrong = RedisConnection(url: RedisURL(host: "127.0.0.1", port: redis.port, password: "wrong", database: 3))
        do {
            _ = try await wrong.command(["PING"])
            Issue.record("a wrong password must be refused")
        } catch let error as RedisError {
            guard case .refused(let message) = error else { Issue.record("\(error)"); return }
            #expect(message.hasPrefix("Redis at redis://127.0.0.1:\(redis.port)/3 refused the password (AUTH): "), "\(message)")
            #expect(!message.contains("wrong"))
        }
    }

    @Test func reconnectsOnceWhenTheConnectionBroke() async throws {
        let redis = try await LoopbackServer.redis()
        let c = RedisConnection(url: redis.redisURL)
        _ = try await c.command(["CLIENT", "SETNAME", "victim"])
        let admin = RedisConnection(url: redis.redisURL)
        #expect(try await admin.command(["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"]) == .integer(1))
        #expect(try await c.command(["PING"]) == .status("PONG"))
    }

    @Test func aStoppedServerIsUnreachable() async throws {
        let redis = try await LoopbackServer.redis()
        let c = RedisConnection(url: redis.redisURL)
        #expect(try await c.command(["PING"]) == .status("PONG"))
        redis.stop()
        do {
            _ = try await c.command(["PING"])
            Issue.record("a killed server cannot answer")
        } catch let error as RedisError {
            guard case .unreachable(let message) = error else { Issue.record("\(error)"); return }
            #expect(message.contains("redis://127.0.0.1:\(redis.port)/0"), "\(message)")
        }
    }

    /// A caller waiting for a slow command returns at once when cancelled: the blocking call is
    /// on the connection's queue, not in the caller's task.
    @Test func aCancelledCallerReturnsWhileTheCommandStillRuns() async throws {
        let redis = try await LoopbackServer.redis()
        let c = RedisConnection(url: redis.redisURL, commandTimeout: .seconds(120))
        let waiter = Task { try await c.command(["BLPOP", "never", "0"]) }
        let admin = RedisConnection(url: redis.redisURL)
        while !(try await admin.command(["CLIENT", "LIST"]).string ?? "").contains("cmd=blpop") { await Task.yield() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        // The command was still on the server when the caller left.
        #expect((try await admin.command(["CLIENT", "LIST"]).string ?? "").contains("cmd=blpop"))
        _ = try await admin.command(["LPUSH", "never", "x"])
    }
}
