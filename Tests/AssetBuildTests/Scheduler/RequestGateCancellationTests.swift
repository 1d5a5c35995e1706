import Testing
@testable import AssetBuildCore

/// A request waiting for a slot handles its own cancellation: it leaves the queue at once with
/// `CancellationError`, without waiting for a slot to free and without taking one.
@Suite struct RequestGateCancellationTests {
    @Test func a_cancelled_waiter_leaves_the_queue_without_a_slot() async throws {
        let gate = RequestGate(concurrency: 1)
        let held = try await gate.acquire(model: "m", images: 1)
        // Should the wait ignore cancellation, the slot frees after a generous minute and the
        // checks below fail instead of the test hanging.
        let watchdog = Task { try await Task.sleep(for: .seconds(60)); await gate.release(held) }
        defer { watchdog.cancel() }

        let waiter = Task { try await gate.acquire(model: "m", images: 1) }
        while await gate.requestsWaiting == 0 { await Task.yield() }
        waiter.cancel()

        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        #expect(await gate.requestsWaiting == 0)
        #expect(await gate.requestsInFlight == 1)  // still only the holder's slot

        await gate.release(held)
        #expect(await gate.requestsInFlight == 0)
        let next = try await gate.acquire(model: "m", images: 1)
        #expect(await gate.requestsInFlight == 1)
        await gate.release(next)
    }

    @Test func a_task_cancelled_before_it_queues_throws_at_once() async throws {
        let gate = RequestGate(concurrency: 1)
        let held = try await gate.acquire(model: "m", images: 1)
        let waiter = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await gate.acquire(model: "m", images: 1)
        }
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        #expect(await gate.requestsWaiting == 0)
        #expect(await gate.requestsInFlight == 1)
        await gate.release(held)
    }
}
