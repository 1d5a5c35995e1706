import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

/// The reporters are shared by every task of a build: many tasks reporting at once must give
/// whole lines, none lost, none torn. Elapsed time comes from the injected clock.
@Suite struct ReporterConcurrencyTests {
    /// What a reporter wrote, in the order it wrote it.
    final class Output: Sendable {
        private let text = Mutex("")
        func write(_ s: String) { text.withLock { $0 += s } }
        var all: String { text.withLock { $0 } }
    }

    static let tasks = 16, perTask = 50

    /// `tasks` tasks each report `perTask` images of their own target, at once.
    static func reportConcurrently(_ reporter: any BuildReporter) async {
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<tasks {
                group.addTask {
                    for i in 0..<perTask {
                        reporter.report(.imageReceived(target: "target-\(t)", index: i, width: 64, height: 32, bytes: 100 + i))
                    }
                }
            }
        }
    }

    @Test func json_lines_from_many_tasks_are_whole_and_none_lost() async throws {
        let out = Output()
        await Self.reportConcurrently(JSONLinesReporter(clock: ManualClock()) { out.write($0) })
        let lines = out.all.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        var seen = Set<String>()
        for line in lines.dropLast() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "torn line: \(line)")
            #expect(object["event"] as? String == "image_received")
            let target = try #require(object["target"] as? String), index = try #require(object["index"] as? Int)
            #expect(object["bytes"] as? Int == 100 + index - 1)
            seen.insert("\(target)#\(index)")
        }
        #expect(lines.count - 1 == Self.tasks * Self.perTask)
        #expect(seen.count == Self.tasks * Self.perTask)
    }

    @Test func console_lines_from_many_tasks_are_whole_and_none_lost() async throws {
        let out = Output()
        let console = ConsoleReporter(style: .init(live: false, color: false, explain: false), clock: ManualClock()) { out.write($0) }
        await Self.reportConcurrently(console)
        let lines = out.all.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.last == "")
        var seen = Set<String>()
        for line in lines.dropLast() {
            // `  target-3 image 7: 64x32`
            let match = try #require(line.wholeMatch(of: #/  (target-\d+) image (\d+): 64x32/#), "torn line: \(line)")
            seen.insert("\(match.1)#\(match.2)")
        }
        #expect(lines.count - 1 == Self.tasks * Self.perTask)
        #expect(seen.count == Self.tasks * Self.perTask)
    }

    @Test func json_time_is_read_from_the_clock() throws {
        let clock = ManualClock()
        let out = Output()
        let reporter = JSONLinesReporter(clock: clock) { out.write($0) }
        clock.advance(by: .milliseconds(2500))
        reporter.report(.warning("one"))
        clock.advance(by: .seconds(60))
        reporter.report(.warning("two"))
        #expect(out.all == """
            {"event":"warning","message":"one","time":2.5}
            {"event":"warning","message":"two","time":62.5}

            """)
    }

    @Test func the_live_status_line_shows_elapsed_time_from_the_clock() throws {
        let clock = ManualClock()
        let out = Output()
        // Nothing to run (only restores), so no ticker redraws behind the test's back.
        let console = ConsoleReporter(style: .init(live: true, color: false, explain: false), clock: clock) { out.write($0) }
        console.report(.planned(targets: 4, toRun: 0, toRestore: 2, images: 0, estimatedCost: 0))
        clock.advance(by: .seconds(3))
        console.report(.targetRestored(target: "a", files: 1))
        clock.advance(by: .seconds(42))
        console.report(.targetRestored(target: "b", files: 1))
        #expect(out.all == """
            assetbuild: 4 target(s): 2 to restore from cache
            \r\u{1B}[K[0/2] images 0  in flight 0  0s\r\u{1B}[Krestore a from cache (1 file(s) written)
            \r\u{1B}[K[1/2] images 0  in flight 0  3s\r\u{1B}[Krestore b from cache (1 file(s) written)
            \r\u{1B}[K[2/2] images 0  in flight 0  45s
            """)
    }
}
