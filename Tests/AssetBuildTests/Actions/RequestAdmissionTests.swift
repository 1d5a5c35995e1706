import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

/// The one admission path every request takes (gate, budget, retries), on its own: a scripted
/// attempt, a `ManualClock`, no provider and no engine.
@Suite struct RequestAdmissionTests {
    /// An attempt that answers from a script: each send takes the next step.
    final class ScriptedAttempt: RequestAttempt, Sendable {
        enum Step: Sendable {
            case answer(String)
            case fail(ProviderError)
            /// Waits (on the manual clock, for an hour) until the task is cancelled.
            case hang(ManualClock)
        }
        let target = "t"
        let model = "doubao-seedream-4-0-250828"
        let images: Int
        private let state: Mutex<(steps: [Step], sends: Int, arrived: Int)>
        /// Images that "arrive" during each send before its step is taken.
        let arrivingPerSend: Int

        init(images: Int = 2, arrivingPerSend: Int = 0, _ steps: [Step]) {
            self.images = images
            self.arrivingPerSend = arrivingPerSend
            state = Mutex((steps, 0, 0))
        }

        var sends: Int { state.withLock { $0.sends } }
        var arrived: Int { state.withLock { $0.arrived } }

        func send() async throws -> String {
            let step: Step = state.withLock { s in
                s.sends += 1
                s.arrived += arrivingPerSend
                return s.steps.removeFirst()
            }
            switch step {
            case .answer(let value): return value
            case .fail(let error): throw error
            case .hang(let clock):
                try await clock.sleep(for: .seconds(3600))
                return "woke"
            }
        }
    }

    struct Harness {
        let clock = ManualClock()
        let reporter = RecordingReporter()
        let stats = BuildStats()
        let spend: SpendMeter
        let gate: RequestGate
        let admission: RequestAdmission

        init(concurrency: Int = 4, budget: Double? = nil) {
            spend = SpendMeter(budget: budget) { _ in 0.04 }
            gate = RequestGate(concurrency: concurrency)
            admission = RequestAdmission(gate: gate, retry: RetryPolicy(maxAttempts: 4, maxTotal: .seconds(600)), clock: clock,
                                         reporter: reporter, stats: stats, spend: spend)
        }
    }

    /// Waits for a condition another task brings about, failing after a generous timeout.
    static func eventually(_ what: String, _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while !(await condition()) {
            if ContinuousClock.now > deadline { throw TestSupportError("never happened: \(what)") }
            await Task.yield()
        }
    }

    static func error(_ status: Int, retryAfter: Duration? = nil) -> ProviderError {
        ProviderError(.http(status: status), target: "t", code: status == 429 ? "RateLimitExceeded" : "InternalServiceError",
                      message: "scripted \(status)", retryAfter: retryAfter)
    }

    @Test func a_429_waits_for_retry_after_then_the_retry_succeeds() async throws {
        let h = Harness()
        let attempt = ScriptedAttempt([.fail(Self.error(429, retryAfter: .seconds(2))), .answer("ok")])
        let task = Task { try await h.admission.send(attempt) }
        try await Self.eventually("the retry waits on the clock") { h.clock.sleeperCount == 1 }
        #expect(attempt.sends == 1)
        #expect(await h.gate.requestsInFlight == 0, "the slot is free while the retry waits")
        h.clock.advance(by: .seconds(2))
        #expect(try await task.value == "ok")
        #expect(attempt.sends == 2 && h.stats.requests == 2 && h.stats.retries == 1)
        let retries = h.reporter.events.compactMap { event -> (Int, Duration)? in
            if case .retrying(_, let n, _, let delay, _) = event { return (n, delay) }
            return nil
        }
        #expect(retries.count == 1 && retries.first?.0 == 2 && retries.first?.1 == .seconds(2))
        let started = h.reporter.events.filter { if case .targetStarted = $0 { return true } else { return false } }
        #expect(started.count == 1, "the start is reported once, not per attempt")
        #expect(await h.gate.requestsInFlight == 0)
    }

    @Test func a_request_queued_while_the_budget_is_spent_never_goes_out() async throws {
        let h = Harness(concurrency: 1, budget: 0.05)
        let held = try await h.gate.acquire(model: "m", images: 0)
        let attempt = ScriptedAttempt([.answer("must not be sent")])
        let task = Task { try await h.admission.send(attempt) }
        try await Self.eventually("the request queues at the gate") { await h.gate.requestsWaiting == 1 }
        // Others spend the budget while it waits.
        h.spend.charge(model: "m", images: 2)
        await h.gate.release(held)
        await #expect(throws: BudgetReached.self) { try await task.value }
        #expect(attempt.sends == 0 && h.stats.requests == 0)
        #expect(await h.gate.requestsInFlight == 0, "the slot it was admitted to is given back")
    }

    @Test func a_cancelled_request_gives_its_slot_back() async throws {
        let h = Harness(concurrency: 1)
        let attempt = ScriptedAttempt([.hang(h.clock)])
        let task = Task { try await h.admission.send(attempt) }
        try await Self.eventually("the request is in flight") { h.clock.sleeperCount == 1 }
        #expect(await h.gate.requestsInFlight == 1)
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(await h.gate.requestsInFlight == 0)
        // The one slot is free: the next request is admitted at once.
        let next = ScriptedAttempt([.answer("next")])
        #expect(try await h.admission.send(next) == "next")
    }

    @Test func nothing_is_retried_once_an_image_of_the_request_arrived() async throws {
        let h = Harness()
        let attempt = ScriptedAttempt(images: 4, arrivingPerSend: 1, [.fail(Self.error(500)), .answer("must not be sent")])
        do {
            _ = try await h.admission.send(attempt)
            Issue.record("a request of which an image arrived must not be sent again")
        } catch let error as ProviderError {
            #expect(error.imagesReceived == 1, "the error says what arrived")
            #expect(!error.isRetryable)
        }
        #expect(attempt.sends == 1 && h.stats.retries == 0 && h.clock.sleeperCount == 0)
        #expect(await h.gate.requestsInFlight == 0)
    }

    @Test func the_same_error_with_nothing_arrived_is_retried() async throws {
        let h = Harness()
        let attempt = ScriptedAttempt([.fail(Self.error(500)), .answer("ok")])
        let task = Task { try await h.admission.send(attempt) }
        try await Self.eventually("the retry waits on the clock") { h.clock.sleeperCount == 1 }
        h.clock.advance(by: .seconds(30))
        #expect(try await task.value == "ok")
        #expect(attempt.sends == 2 && h.stats.retries == 1)
    }
}
