import AssetBuildSupport

/// Single flight: at most one payer per action key at a time. Before an action that sends a paid
/// request runs, the build takes the key's lease; whoever does not get it waits until the holder
/// is done and then looks in the caches again (the holder's result is there, or the holder failed
/// and the next one in line pays). In one build, two targets with identical inputs therefore
/// generate once; with a shared implementation (Redis), the same holds across runners.
package protocol ActionLeases: Sendable {
    /// Returns `.held` once this build holds the lease of `key`; or `.freed` after waiting for
    /// another holder to finish (release, or expiry when it died): look for its result, then
    /// ask again. Cancellable: a cancelled wait throws `CancellationError`.
    func acquire(key: String) async throws -> LeaseOutcome
}

package enum LeaseOutcome: Sendable {
    case held(any HeldLease)
    case freed
}

/// A lease this build holds; `release` exactly once, whether the action succeeded or not.
package protocol HeldLease: Sendable {
    func release() async
}

/// Leases within one process: identical keys in one build wait for each other.
package actor LocalActionLeases: ActionLeases {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private var held: Set<String> = []
    private var waiters: [String: [Waiter]] = [:]
    private var nextID: UInt64 = 0

    package init() {}

    package func acquire(key: String) async throws -> LeaseOutcome {
        try Task.checkCancellation()
        if held.insert(key).inserted { return .held(Lease(key: key, owner: self)) }
        let id = nextID
        nextID += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled { c.resume(throwing: CancellationError()) } else { waiters[key, default: []].append(Waiter(id: id, continuation: c)) }
            }
        } onCancel: {
            Task { await self.leave(key: key, id: id) }
        }
        return .freed
    }

    /// Whether `key` is held now (for tests and reports).
    package func isHeld(_ key: String) -> Bool { held.contains(key) }

    /// How many are waiting for `key` (for tests).
    package func waiting(for key: String) -> Int { waiters[key]?.count ?? 0 }

    fileprivate func release(_ key: String) {
        held.remove(key)
        // Every waiter looks for the result; the first to find none takes the lease itself.
        for w in waiters.removeValue(forKey: key) ?? [] { w.continuation.resume() }
    }

    private func leave(key: String, id: UInt64) {
        guard let i = waiters[key]?.firstIndex(where: { $0.id == id }) else { return }
        waiters[key]!.remove(at: i).continuation.resume(throwing: CancellationError())
        if waiters[key]!.isEmpty { waiters[key] = nil }
    }

    private struct Lease: HeldLease {
        let key: String
        let owner: LocalActionLeases
        func release() async { await owner.release(key) }
    }
}
