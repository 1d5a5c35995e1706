import Testing
@testable import AssetBuildCore

@Suite struct ActionLeasesTests {
    @Test func secondAcquirerWaitsUntilTheHolderReleases() async throws {
        let leases = LocalActionLeases()
        guard case .held(let lease) = try await leases.acquire(key: "k") else {
            Issue.record("the first acquirer must hold the lease"); return
        }
        let waiter = Task { try await leases.acquire(key: "k") }
        while await leases.waiting(for: "k") == 0 { await Task.yield() }
        // A different key is free while "k" is held.
        guard case .held(let other) = try await leases.acquire(key: "other") else {
            Issue.record("another key must not wait"); return
        }
        await other.release()
        #expect(await leases.isHeld("k"))
        await lease.release()
        guard case .freed = try await waiter.value else {
            Issue.record("the waiter is told the holder finished, and looks for its result"); return
        }
        #expect(await !leases.isHeld("k"))
        // The next in line takes it.
        guard case .held(let again) = try await leases.acquire(key: "k") else {
            Issue.record("a freed key is taken again"); return
        }
        await again.release()
    }

    @Test func aCancelledWaitLeavesAtOnce() async throws {
        let leases = LocalActionLeases()
        guard case .held(let lease) = try await leases.acquire(key: "k") else {
            Issue.record("the first acquirer must hold the lease"); return
        }
        let waiter = Task { try await leases.acquire(key: "k") }
        while await leases.waiting(for: "k") == 0 { await Task.yield() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(await leases.isHeld("k"))
        await lease.release()
    }
}
