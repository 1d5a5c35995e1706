import Foundation

/// The images-per-minute limit of one API account, shared by every runner through Redis.
///
/// A sliding window per model on the server's clock (`TIME`), decided by one Lua script per step,
/// so two runners never both take the last place. A request reserves its image count (a group
/// its `max_images`) and gives back what it did not produce. The rules are the local limiter's:
/// - it is admitted when its images fit in the window's limit, or, when its count is above the
///   whole limit (a group of 15 under 10 per minute), alone in an empty window: it never waits
///   forever;
/// - first come, first served across runners: a request that must wait takes a ticket in the
///   model's queue, and nobody behind it is admitted before it (so singles cannot starve a
///   group). A waiter that stops asking (a runner that died) leaves the queue a few seconds
///   after it was due;
/// - a 429 seen by any runner pauses the model for every runner until `Retry-After`, and lowers
///   the shared rate (to half, or to what the service had just taken for an images-per-minute
///   429), which then doubles back every `doubling`.
///
/// Keys: `assetbuild:ipm:{MODEL}:…` (the braces keep a model's keys in one Redis Cluster slot).
public struct RedisRateLimit: Sendable {
    public enum Admission: Sendable, Equatable {
        /// Reserved; `limit` is the images per minute in force (lowered after a 429).
        case admitted(limit: Int)
        /// Not now: ask again after `wait` (the first moment it could fit, or the end of a pause).
        case wait(Duration, limit: Int)
    }

    public let connection: RedisConnection
    /// How long a reservation counts: the service's minute plus a margin (the service counts a
    /// request when it arrives, a little after we stamp it).
    public let window: Duration
    public let doubling: Duration

    public init(connection: RedisConnection, window: Duration = .seconds(62), doubling: Duration = .seconds(60)) {
        self.connection = connection
        self.window = window
        self.doubling = doubling
    }

    /// Asks to reserve `images` of `model` for the request `id` (unique across runners).
    public func admit(model: String, id: String, images: Int, limit: Int) async throws -> Admission {
        let reply = try await connection.eval(Self.admitScript, keys: keys(model),
                                              arguments: [id, "\(images)", "\(max(1, limit))", ms(window), ms(doubling)])
        guard let a = reply.array, a.count == 3, let admitted = a[0].integer, let wait = a[1].integer, let eff = a[2].integer else {
            throw Self.unexpected(reply)
        }
        return admitted == 1 ? .admitted(limit: eff) : .wait(.milliseconds(wait), limit: eff)
    }

    /// The request is leaving now: its images count from this moment.
    public func restamp(model: String, id: String) async throws {
        _ = try await connection.eval(Self.restampScript, keys: keys(model), arguments: [id])
    }

    /// Settles the request `id` (empty: none): gives back its `unusedImages` and marks it done;
    /// with `throttle` (a 429), pauses the model for every runner for `retryAfter` and lowers
    /// the shared rate, in the same step. Returns the limit now in force.
    @discardableResult
    public func settle(model: String, id: String, unusedImages: Int, throttle: Bool = false, retryAfter: Duration? = nil,
                       learn: Bool = false, limit: Int) async throws -> Int {
        let retry = throttle ? ms(retryAfter ?? .seconds(2)) : "-1"
        let reply = try await connection.eval(Self.settleScript, keys: keys(model),
                                              arguments: [id, "\(max(0, unusedImages))", retry, learn ? "1" : "0",
                                                          "\(max(1, limit))", ms(window), ms(doubling)],
                                              evenIfCancelled: true)
        guard let eff = reply.integer else { throw Self.unexpected(reply) }
        return eff
    }

    /// A waiter gives up (cancelled): it leaves the queue so nobody waits behind it.
    public func leave(model: String, id: String) async throws {
        let k = keys(model)
        _ = try await connection.command(["ZREM", k[3], id], evenIfCancelled: true)
        _ = try await connection.command(["ZREM", k[4], id], evenIfCancelled: true)
    }

    /// The window (id → stamp), images (id → count, negative once done), throttle, queue (id →
    /// ticket), queue deadlines, ticket counter and sums (images in the window, of them done) of
    /// `model`.
    public func keys(_ model: String) -> [String] {
        let base = "assetbuild:ipm:{\(model)}"
        return ["\(base):window", "\(base):images", "\(base):throttle", "\(base):queue", "\(base):due", "\(base):ticket",
                "\(base):sums"]
    }

    private func ms(_ d: Duration) -> String {
        "\(Int(d.components.seconds) * 1000 + Int(d.components.attoseconds / 1_000_000_000_000_000))"
    }

    private static func unexpected(_ reply: RedisReply) -> RedisError {
        if case .error(let message) = reply { return .server(message) }
        return .unexpected("\(reply)")
    }

    // MARK: - The scripts

    /// Common head: the server's time in ms, the window without what left it (the sums of images
    /// kept up to date, so a call costs what left the window, not the window's size), and the
    /// limit in force (the configured one times the factor left by the last 429, doubling back).
    /// `save()` writes the sums back. The including script names its ARGV positions.
    private static func prelude(limit: Int, window: Int, doubling: Int) -> String {
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local limit, win, doubling = tonumber(ARGV[\(limit)]), tonumber(ARGV[\(window)]), tonumber(ARGV[\(doubling)])
        local used = tonumber(redis.call('HGET', KEYS[7], 'used') or '0')
        local taken = tonumber(redis.call('HGET', KEYS[7], 'taken') or '0')
        local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - win)
        for _, o in ipairs(old) do
          local n = tonumber(redis.call('HGET', KEYS[2], o) or '0')
          used = used - math.abs(n)
          if n < 0 then taken = taken + n end
          redis.call('HDEL', KEYS[2], o)
        end
        if #old > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win) end
        if redis.call('ZCARD', KEYS[1]) == 0 then used, taken = 0, 0 end
        used, taken = math.max(0, used), math.max(0, taken)
        local function save()
          redis.call('HSET', KEYS[7], 'used', used, 'taken', taken)
          redis.call('PEXPIRE', KEYS[7], win * 2)
        end
        local th = redis.call('HMGET', KEYS[3], 'factor', 'at', 'until')
        local factor = 1
        if th[1] then factor = math.min(1, tonumber(th[1]) * 2 ^ ((now - tonumber(th[2])) / doubling)) end
        local paused = tonumber(th[3] or '0')
        local eff = math.max(1, math.floor(limit * factor + 1e-9))

        """
    }

    /// ARGV: id, images, limit, window ms, doubling ms. Returns {admitted 0/1, wait ms, limit}.
    static let admitScript = prelude(limit: 3, window: 4, doubling: 5) + """
        local id, n = ARGV[1], tonumber(ARGV[2])
        local grace = 10000
        local dead = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', now)
        for _, d in ipairs(dead) do redis.call('ZREM', KEYS[4], d) end
        redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
        local mine = redis.call('ZSCORE', KEYS[4], id)
        local ahead
        if mine then ahead = redis.call('ZCOUNT', KEYS[4], '-inf', '(' .. mine) else ahead = redis.call('ZCARD', KEYS[4]) end
        local fits = now >= paused and (used + n <= eff or (used == 0 and n > eff))
        if fits and ahead == 0 then
          redis.call('ZADD', KEYS[1], now, id)
          redis.call('HSET', KEYS[2], id, n)
          redis.call('ZREM', KEYS[4], id)
          redis.call('ZREM', KEYS[5], id)
          redis.call('PEXPIRE', KEYS[1], win * 2)
          redis.call('PEXPIRE', KEYS[2], win * 2)
          used = used + n
          save()
          return {1, 0, eff}
        end
        -- When it fits: the oldest reservations leave the window first.
        local at = math.max(now, paused)
        if used + n > eff and used > 0 then
          local u, i, found = used, 0, false
          while not found do
            local chunk = redis.call('ZRANGE', KEYS[1], i, i + 31, 'WITHSCORES')
            if #chunk == 0 then break end
            for j = 1, #chunk, 2 do
              u = u - math.abs(tonumber(redis.call('HGET', KEYS[2], chunk[j]) or '0'))
              at = math.max(at, tonumber(chunk[j + 1]) + win)
              if u + n <= eff or u <= 0 then found = true; break end
            end
            i = i + 32
          end
        end
        save()
        if th[1] and factor < 1 then at = math.min(at, math.max(now, paused) + 5000) end
        if ahead > 0 then
          local first = redis.call('ZRANGE', KEYS[4], 0, 0)
          local due = redis.call('ZSCORE', KEYS[5], first[1])
          if due then at = math.max(at, tonumber(due) - grace) end
        end
        local wait = at - now
        if ahead > 0 and wait < 250 then wait = 250 end
        if wait < 1 then wait = 1 end
        if not mine then redis.call('ZADD', KEYS[4], redis.call('INCR', KEYS[6]), id) end
        redis.call('ZADD', KEYS[5], now + wait + grace, id)
        for i = 4, 6 do redis.call('PEXPIRE', KEYS[i], wait + grace + win) end
        return {0, wait, eff}
        """

    /// ARGV: id. The reservation's stamp becomes now.
    static let restampScript = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        return redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
        """

    /// ARGV: id ('' for none), unused images, retry-after ms (-1: no 429), learn 0/1, limit,
    /// window ms, doubling ms. Returns the limit in force afterwards.
    static let settleScript = prelude(limit: 5, window: 6, doubling: 7) + """
        local id, unused, retry, learn = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4] == '1'
        if id ~= '' then
          local n = tonumber(redis.call('HGET', KEYS[2], id) or 'nil')
          if n then
            local kept = math.max(0, math.abs(n) - unused)
            if kept == 0 then
              redis.call('HDEL', KEYS[2], id)
              redis.call('ZREM', KEYS[1], id)
            else
              redis.call('HSET', KEYS[2], id, -kept)
            end
            used = used - math.abs(n) + kept
            if n < 0 then taken = taken + n end
            taken = taken + kept
          end
        end
        save()
        if retry < 0 then return eff end
        local half = factor / 2
        local learned = half
        if learn and taken > 0 then learned = math.min(half, taken / limit) end
        local f0 = math.max(1 / limit, learned)
        local untilMs = math.max(paused, now + retry)
        redis.call('HSET', KEYS[3], 'factor', tostring(f0), 'at', now, 'until', untilMs)
        redis.call('PEXPIRE', KEYS[3], (untilMs - now) + doubling * 24)
        return math.max(1, math.floor(limit * f0 + 1e-9))
        """
}
