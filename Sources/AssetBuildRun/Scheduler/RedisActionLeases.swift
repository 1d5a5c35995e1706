import Foundation
import Synchronization
import AssetBuildSupport
import AssetBuildCoordination

/// Single flight across runners: the lease of an action key lives in Redis (`RedisLeaseStore`),
/// renewed at a third of its time to live while held, so a holder that dies (`kill -9`) loses it
/// after the TTL. In-process leases come first: two targets of this build with the same key wait
/// for each other here, and only one of them ever asks Redis.
///
/// A waiter looks at the key with a growing pause (never longer than the lease has left, nor
/// than `Coordination.maxPoll`) until it is gone, then returns `.freed`: the caller looks for the
/// holder's result (the remote cache) and asks again. Polling, rather than a release channel,
/// also notices a lease that expired, which no holder announces.
/// When Redis fails, the build goes on with the in-process leases alone (`Coordination` warns once).
package final class RedisActionLeases: ActionLeases {
    private let coordination: Coordination
    private let local = LocalActionLeases()

    package init(coordination: Coordination) {
        self.coordination = coordination
    }

    package func acquire(key: String) async throws -> LeaseOutcome {
        guard case .held(let mine) = try await local.acquire(key: key) else { return .freed }
        let store = coordination.leaseStore, ttl = coordination.leaseTTL
        let token = "\(coordination.runner):\(UUID().uuidString)"
        do {
            guard let taken = try await coordination.attempt({ try await store.tryAcquire(key, token: token, ttl: ttl) }) else {
                return .held(mine)
            }
            if taken { return .held(RedisLease(key: key, token: token, local: mine, coordination: coordination)) }
            try await waitUntilGone(key)
        } catch {
            await mine.release()
            throw error
        }
        await mine.release()
        return .freed
    }

    /// How many of this process wait for `key` behind its holder here (for tests).
    package func waiting(for key: String) async -> Int { await local.waiting(for: key) }

    /// Polls until nobody holds `key` in Redis (released, or expired), or Redis failed.
    private func waitUntilGone(_ key: String) async throws {
        let store = coordination.leaseStore
        var pause = Duration.milliseconds(20)
        while true {
            guard let left = try await coordination.attempt({ try await store.remaining(key) }) else { return }
            guard let left else { return }
            try await coordination.clock.sleep(for: max(.milliseconds(1), min(pause, left, coordination.maxPoll)))
            pause = min(pause * 2, coordination.maxPoll)
        }
    }
}

/// A lease held in Redis and in the process: renewed until released.
package final class RedisLease: HeldLease {
    private let key: String
    private let token: String
    private let local: any HeldLease
    private let coordination: Coordination
    private let renewal: Mutex<Task<Void, Never>?> = Mutex(nil)
    /// Renewals done, and whether they go on (false once the lease was lost or Redis failed).
    private let renewed = Mutex((count: 0, going: true))

    init(key: String, token: String, local: any HeldLease, coordination: Coordination) {
        self.key = key
        self.token = token
        self.local = local
        self.coordination = coordination
        let task = Task { [weak self, coordination, key, token] in
            let store = coordination.leaseStore, ttl = coordination.leaseTTL
            defer { self?.renewed.withLock { $0.going = false } }
            while !Task.isCancelled, self != nil {
                do { try await coordination.clock.sleep(for: ttl / 3) } catch { return }
                // Lost (it expired and someone else took it) or Redis gone: nothing left to renew.
                guard let kept = try? await coordination.attempt({ try await store.renew(key, token: token, ttl: ttl) }),
                      kept == true else { return }
                self?.renewed.withLock { $0.count += 1 }
            }
        }
        renewal.withLock { $0 = task }
    }

    /// How many times the lease was renewed, and whether renewing goes on (for tests).
    package var renewals: (count: Int, going: Bool) { renewed.withLock { $0 } }

    package func release() async {
        renewal.withLock { $0?.cancel(); $0 = nil }
        let store = coordination.leaseStore, key = key, token = token
        _ = try? await coordination.attempt { try await store.release(key, token: token) }
        await local.release()
    }
}
