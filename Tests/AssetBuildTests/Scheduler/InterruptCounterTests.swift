import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

@Suite struct InterruptCounterTests {
    @Test func first_interrupt_cancels_and_later_ones_exit() {
        let counter = InterruptCounter()
        #expect(counter.record() == .cancel)
        #expect(counter.record() == .exit)
        #expect(counter.record() == .exit)
    }

    /// SIGINT and SIGTERM handlers run on a concurrent queue: however arrivals interleave, exactly
    /// one is told to cancel and none is lost (an unsynchronized counter loses increments here).
    @Test func concurrent_interrupts_cancel_exactly_once() {
        let arrivals = 20_000
        for _ in 0..<5 {
            let counter = InterruptCounter()
            let cancels = Atomic(0)
            let exits = Atomic(0)
            DispatchQueue.concurrentPerform(iterations: arrivals) { _ in
                switch counter.record() {
                case .cancel: cancels.add(1, ordering: .relaxed)
                case .exit: exits.add(1, ordering: .relaxed)
                }
            }
            #expect(cancels.load(ordering: .relaxed) == 1)
            #expect(exits.load(ordering: .relaxed) == arrivals - 1)
        }
    }
}

@Suite struct ManualClockCancellationTests {
    /// A sleeper on a clock nobody advances still ends when its task is cancelled.
    @Test func cancelling_a_sleeper_wakes_it_with_cancellation_error() async throws {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(3600)) }
        while clock.sleeperCount == 0 { await Task.yield() }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }
}
