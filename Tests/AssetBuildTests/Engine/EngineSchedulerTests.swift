import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

/// Records the order in which work starts and finishes.
final class WorkLog: Sendable {
    private let entries = Mutex<[String]>([])
    func add(_ s: String) { entries.withLock { $0.append(s) } }
    var all: [String] { entries.withLock { $0 } }
    func index(_ s: String) -> Int? { all.firstIndex(of: s) }
}

/// A one-shot signal tasks can wait on.
final class Signal: Sendable {
    private let state = Mutex<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    func fire() {
        let w: [CheckedContinuation<Void, Never>] = state.withLock { s in
            s.fired = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for c in w { c.resume() }
    }
    func wait() async {
        await withCheckedContinuation { c in
            let now: Bool = state.withLock { s in
                if s.fired { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
}

struct ScriptedFailure: Error {}

@Suite("Engine scheduler")
struct EngineSchedulerTests {
    /// Five targets that depend on nothing: p1 … p5.
    static let fiveIndependent = """
        version: 1
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
        targets:
          p1: {prompt: "one"}
          p2: {prompt: "two"}
          p3: {prompt: "three"}
          p4: {prompt: "four"}
          p5: {prompt: "five"}
        """

    @Test("work starts only after everything it depends on has finished")
    func dependencyOrder() async {
        // 0 → 1, 0 → 2, {1, 2} → 3, 4 alone.
        let deps = [[], [0], [0], [1, 2], []]
        let log = WorkLog()
        let outcomes = await Scheduler(keepGoing: false).run(nodes: [0, 1, 2, 3, 4], dependencies: deps, name: { "\($0)" }) { n in
            log.add("start \(n)")
            try await Task.sleep(for: .milliseconds(n == 1 ? 20 : 1))
            log.add("end \(n)")
        }
        #expect(outcomes.values.allSatisfy { $0 == .succeeded })
        for (n, ds) in deps.enumerated() {
            for d in ds { #expect(log.index("end \(d)")! < log.index("start \(n)")!, "\(d) before \(n): \(log.all)") }
        }
    }

    @Test("edges to nodes outside the selection count as satisfied")
    func partialSelection() async {
        let outcomes = await Scheduler(keepGoing: false).run(nodes: [1, 2], dependencies: [[], [0], [1]], name: { "\($0)" }) { _ in }
        #expect(outcomes == [1: .succeeded, 2: .succeeded])
    }

    @Test("with keep-going a failure skips what depends on it, and only that")
    func keepGoingSkipsDependents() async {
        // 0 → 1 → 2; 3 alone; 4 depends on 3.
        let log = WorkLog()
        let outcomes = await Scheduler(keepGoing: true).run(nodes: [0, 1, 2, 3, 4], dependencies: [[], [0], [1], [], [3]],
                                                            name: { "t\($0)" }) { n in
            log.add("\(n)")
            if n == 0 { throw ScriptedFailure() }
        }
        #expect(outcomes == [0: .failed, 1: .skipped(because: "t0"), 2: .skipped(because: "t0"), 3: .succeeded, 4: .succeeded])
        #expect(Set(log.all) == ["0", "3", "4"])
    }

    @Test("without keep-going a failure starts nothing new, but running work finishes")
    func failureStopsNewWork() async {
        // 0 fails while 1 is running; 2 (after 1) must not start; 1 still succeeds.
        // The scheduler names a failed node when it handles the failure: 1 ends only after that
        // (an event, not a fixed sleep that a loaded machine could outrun).
        let seen = Signal()
        let log = WorkLog()
        let outcomes = await Scheduler(keepGoing: false).run(nodes: [0, 1, 2], dependencies: [[], [], [1]], name: { n in
            if n == 0 { seen.fire() }
            return "t\(n)"
        }) { n in
            log.add("start \(n)")
            switch n {
            case 0:
                throw ScriptedFailure()
            case 1:
                await seen.wait()   // the scheduler has seen the failure
            default: break
            }
            log.add("end \(n)")
        }
        #expect(outcomes == [0: .failed, 1: .succeeded, 2: .skipped(because: nil)])
        #expect(log.index("start 2") == nil)
        #expect(log.index("end 1") != nil)
    }

    @Test("cancellation stops running work and starts nothing new")
    func cancellation() async throws {
        let started = Signal()
        let log = WorkLog()
        let task = Task {
            await Scheduler(keepGoing: true).run(nodes: [0, 1, 2], dependencies: [[], [0], []], name: { "t\($0)" }) { n in
                log.add("start \(n)")
                if n == 0 {
                    started.fire()
                    try await Task.sleep(for: .seconds(60))
                }
            }
        }
        await started.wait()
        task.cancel()
        let outcomes = await task.value
        #expect(outcomes[0] == .cancelled)
        #expect(outcomes[1] == .skipped(because: nil))
        #expect(log.index("start 1") == nil)
    }

    @Test("the request gate bounds requests in flight (-j)")
    func parallelismBound() async throws {
        let f = try EngineFixture(Self.fiveIndependent)
        let names = ["p1", "p2", "p3", "p4", "p5"]
        for n in names { f.provider.hold(n) }
        let build = Task { try await f.build(jobs: 2) }
        let clock = ContinuousClock()
        // Waits for the event (two started), with a generous guard: a loaded 2-core machine took
        // over 10 s to start them once.
        let deadline = clock.now + .seconds(120)
        while f.provider.started.count < 2, clock.now < deadline { try await Task.sleep(for: .milliseconds(2)) }
        try await Task.sleep(for: .milliseconds(50))
        #expect(f.provider.started.count == 2, "\(f.provider.started)")
        for n in names { f.provider.release(n) }
        let ran = try await build.value
        #expect(ran.sorted() == names)
        #expect(f.provider.peakConcurrency == 2)
    }

    @Test("an engine build without keep-going skips dependents and reports them")
    func engineFailureSkipsDependents() async throws {
        let f = try EngineFixture()
        f.provider.fail("a")
        await #expect(throws: BuildFailed.self) { try await f.build(keepGoing: true) }
        #expect(Set(f.provider.actionsRan) == ["a", "d", "g"])
        let skipped = f.reporter.events.compactMap { e -> String? in
            if case .targetSkipped(let t, let because) = e { return "\(t): \(because)" } else { return nil }
        }
        #expect(skipped.sorted() == ["b: upstream 'a' failed", "c: upstream 'a' failed"])
        #expect(f.dir.exists("build/d.jpeg") && !f.dir.exists("build/a.jpeg"))
    }

    @Test("without keep-going, a failure stops the requests still queued; with it, every one is sent",
          arguments: [false, true])
    func failureStopsQueuedRequests(keepGoing: Bool) async throws {
        let f = try EngineFixture(Self.fiveIndependent)
        let names = ["p1", "p2", "p3", "p4", "p5"]
        for n in names { f.provider.fail(n) }
        await #expect(throws: BuildFailed.self) { try await f.build(keepGoing: keepGoing, jobs: 1) }
        let started = f.reporter.events.compactMap { e -> String? in
            if case .targetStarted(let t, _, _) = e { return t } else { return nil }
        }
        let skipped = f.reporter.events.compactMap { e -> String? in
            if case .targetSkipped(let t, let because) = e { return "\(t): \(because)" } else { return nil }
        }
        if keepGoing {
            #expect(f.provider.actionsRan.count == 5)
            #expect(skipped.isEmpty)
        } else {
            // One slot: the first request admitted fails, and the four queued behind it never go out.
            #expect(f.provider.actionsRan.count == 1, "\(f.provider.actionsRan)")
            #expect(started == f.provider.actionsRan, "only admitted requests are announced as started")
            #expect(skipped.count == 4 && skipped.allSatisfy { $0.hasSuffix(": the build stopped") }, "\(skipped)")
        }
    }

    @Test("targets the plan found up to date get no task: a build that stops early never calls them skipped")
    func settledTargetsAreNotSkipped() async throws {
        let f = try EngineFixture()
        try await f.build()
        try f.edit("alpha", "ALPHA")
        f.provider.fail("a")
        let earlier = f.reporter.events.count
        await #expect(throws: BuildFailed.self) { try await f.build() }
        let events = f.reporter.events.dropFirst(earlier)
        let skipped = events.compactMap { e -> String? in
            if case .targetSkipped(let t, _) = e { return t } else { return nil }
        }
        #expect(skipped.sorted() == ["b", "c"], "d and g are up to date, not skipped: \(skipped)")
        let finished = events.compactMap { e -> BuildSummary? in
            if case .finished(let s) = e { return s } else { return nil }
        }.last
        #expect(finished?.upToDate == 2 && finished?.failed == 1 && finished?.skipped == 2, "\(String(describing: finished))")
    }

    @Test("a cancelled build keeps nothing half-done and the next build finishes the job")
    func engineCancellation() async throws {
        let f = try EngineFixture()
        f.provider.hold("a")
        let build = Task { try await f.build() }
        try await f.provider.waitUntilStarted("a")
        build.cancel()
        do {
            _ = try await build.value
            Issue.record("a cancelled build must not succeed")
        } catch let failed as BuildFailed {
            #expect(failed.summary.interrupted)
        }
        #expect(!f.provider.actionsRan.contains("b"), "nothing new starts after cancellation")
        let ran = try await f.build()
        #expect(ran.contains("a") && ran.contains("b") && ran.contains("c"))
        #expect(try await f.correctBuildProblems() == [])
    }
}
