import Foundation

/// Leases per action key in Redis: `SET key token NX PX ttl` to take one, a compare-and-expire
/// script to renew it and a compare-and-delete script to release it, so only the holder's token
/// ever extends or deletes it. A holder that dies stops renewing and its lease expires after the
/// TTL. Keys: `assetbuild:lease:ACTIONKEY`.
public struct RedisLeaseStore: Sendable {
    public let connection: RedisConnection

    public init(connection: RedisConnection) {
        self.connection = connection
    }

    public func key(_ actionKey: String) -> String { "assetbuild:lease:\(actionKey)" }

    /// Takes the lease of `actionKey` for `ttl` when nobody holds it.
    public func tryAcquire(_ actionKey: String, token: String, ttl: Duration) async throws -> Bool {
        let reply = try await connection.command(["SET", key(actionKey), token, "NX", "PX", Self.ms(ttl)])
        switch reply {
        case .status("OK"): return true
        case .null: return false
        case .error(let message): throw RedisError.server(message)
        default: throw RedisError.unexpected("\(reply)")
        }
    }

    /// Extends the lease by `ttl` if `token` still holds it; false when it was lost (expired and
    /// perhaps taken by another runner).
    public func renew(_ actionKey: String, token: String, ttl: Duration) async throws -> Bool {
        let reply = try await connection.eval(Self.renewScript, keys: [key(actionKey)], arguments: [token, Self.ms(ttl)])
        guard let n = reply.integer else { throw Self.unexpected(reply) }
        return n == 1
    }

    /// Deletes the lease if `token` holds it. Sent even by a cancelled caller.
    @discardableResult
    public func release(_ actionKey: String, token: String) async throws -> Bool {
        let reply = try await connection.eval(Self.releaseScript, keys: [key(actionKey)], arguments: [token], evenIfCancelled: true)
        guard let n = reply.integer else { throw Self.unexpected(reply) }
        return n == 1
    }

    /// How long the lease of `actionKey` has left; nil when nobody holds it.
    public func remaining(_ actionKey: String) async throws -> Duration? {
        let reply = try await connection.command(["PTTL", key(actionKey)])
        guard let ms = reply.integer else { throw Self.unexpected(reply) }
        if ms == -2 { return nil }
        // -1: a key without expiry (written by hand); poll it like any other.
        return .milliseconds(max(0, ms))
    }

    private static func ms(_ d: Duration) -> String {
        "\(max(1, Int(d.components.seconds) * 1000 + Int(d.components.attoseconds / 1_000_000_000_000_000)))"
    }

    private static func unexpected(_ reply: RedisReply) -> RedisError {
        if case .error(let message) = reply { return .server(message) }
        return .unexpected("\(reply)")
    }

    static let renewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        return 0
        """

    static let releaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """
}
