import Foundation
import Synchronization
import AssetBuildSupport
import AssetBuildCoordination

/// Redis shared by the runners of one API account, for one build: the images-per-minute limit
/// (`SharedRateLimiter`) and leases per action key (`RedisActionLeases`), each on its own
/// connection so a lease's renewal never queues behind a rate-limit poll.
///
/// Never worse than local: the first time Redis cannot be reached (at the start, or killed
/// mid-build), one warning names it (without the password) and the rest of the build uses this
/// process's limiter and leases. Every call is bounded by the connection's timeouts.
package final class Coordination: Sendable {
    package let url: RedisURL
    package let rateLimit: RedisRateLimit
    package let leaseStore: RedisLeaseStore
    package let clock: any BuildClock
    /// This runner's name in Redis: ids of reservations and lease tokens start with it.
    package let runner = UUID().uuidString
    /// Lease time to live; the holder renews at a third of it.
    package let leaseTTL: Duration
    /// The longest a lease waiter sleeps between two looks at Redis (a freed or expired lease is
    /// noticed this soon).
    package let maxPoll: Duration
    /// The longest a rate-limit waiter sleeps before asking again, whatever wait Redis answered
    /// (the wait may shorten: a group gives back images, the limit recovers after a 429).
    package let maxRatePause: Duration
    private let warn: @Sendable (String) -> Void
    private let degraded = Mutex(false)

    package init(url: RedisURL, clock: any BuildClock = SystemClock(), leaseTTL: Duration = .seconds(30),
                 maxPoll: Duration = .seconds(1), maxRatePause: Duration = .seconds(15),
                 connectTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(2),
                 warn: @escaping @Sendable (String) -> Void) {
        self.url = url
        self.rateLimit = RedisRateLimit(connection: RedisConnection(url: url, connectTimeout: connectTimeout, commandTimeout: commandTimeout))
        self.leaseStore = RedisLeaseStore(connection: RedisConnection(url: url, connectTimeout: connectTimeout, commandTimeout: commandTimeout))
        self.clock = clock
        self.leaseTTL = leaseTTL
        self.maxPoll = maxPoll
        self.maxRatePause = maxRatePause
        self.warn = warn
    }

    /// Whether Redis failed once and this build went local.
    package var isDegraded: Bool { degraded.withLock { $0 } }

    /// Runs `body` against Redis; nil when Redis is (or just became) unusable, after the one
    /// warning. Cancellation is rethrown.
    package func attempt<T: Sendable>(_ body: () async throws -> T) async throws -> T? {
        if isDegraded { return nil }
        do {
            return try await body()
        } catch let error as RedisError {
            degrade(error)
            return nil
        }
    }

    private func degrade(_ error: RedisError) {
        let first = degraded.withLock { d -> Bool in
            defer { d = true }
            return !d
        }
        guard first else { return }
        warn("""
            Redis coordination stopped: \(error); this build goes on with its own rate limit and leases, \
            which do not count other runners on the account (check that Redis is up, or build without \
            coordination.redis and ASSETBUILD_REDIS_URL)
            """)
    }
}
