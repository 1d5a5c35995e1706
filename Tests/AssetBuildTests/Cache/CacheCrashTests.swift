import Foundation
import Testing
@testable import AssetBuildCore

/// `kill -9` of a process writing images: the index stays intact, every recorded image's object
/// is whole, and nothing committed before the kill is lost. The writer is this test binary
/// re-run with `ASSETBUILD_CRASH_WRITER_DIR` set, which enables `CacheCrashWriter`.
@Suite struct CacheCrashTests {
    @Test func kill_9_while_writing_leaves_a_consistent_cache() throws {
        let executable = CommandLine.arguments[0]
        try #require(FileManager.default.isExecutableFile(atPath: executable) && executable.hasSuffix(".xctest"),
                     "needs the test binary to re-run as a writer: \(executable)")
        let dir = try CacheTemporaryDirectory()
        let observer = try BuildCache.open(directory: dir.url)
        var committedBeforeKill = 0

        for round in 0..<3 {
            let writer = Process()
            writer.executableURL = URL(fileURLWithPath: executable)
            writer.arguments = ["--testing-library", "swift-testing", "--filter", "CacheCrashWriter"]
            writer.environment = ProcessInfo.processInfo.environment.merging(
                ["ASSETBUILD_CRASH_WRITER_DIR": dir.path, "ASSETBUILD_CRASH_WRITER_ROUND": "\(round)"]) { _, new in new }
            writer.standardOutput = FileHandle.nullDevice
            writer.standardError = FileHandle.nullDevice
            try writer.run()

            // Let it commit a few dozen more images, then kill it mid-stream.
            let deadline = Date().addingTimeInterval(30)
            while try observer.stats().imageCount < committedBeforeKill + 40, Date() < deadline, writer.isRunning {
                usleep(10_000)
            }
            let seen = try observer.stats().imageCount
            kill(writer.processIdentifier, SIGKILL)
            writer.waitUntilExit()
            #expect(writer.terminationReason == .uncaughtSignal)
            #expect(seen > committedBeforeKill)

            let cache = try BuildCache.open(directory: dir.url)
            let integrity = try cache.withDatabase { db in
                var result = ""
                try db.query("PRAGMA integrity_check") { result = $0.text(0) }
                return result
            }
            #expect(integrity == "ok")
            let stats = try cache.stats()
            #expect(stats.imageCount >= seen)
            #expect(try cache.verify().allSatisfy { if case .strayFile = $0 { true } else { false } })
            committedBeforeKill = stats.imageCount
        }
    }
}

@Suite(.enabled(if: ProcessInfo.processInfo.environment["ASSETBUILD_CRASH_WRITER_DIR"] != nil))
struct CacheCrashWriter {
    /// Records groups of four images forever, each in its own transaction, until killed.
    @Test func write_until_killed() async throws {
        let environment = ProcessInfo.processInfo.environment
        let cache = try BuildCache.open(directory: URL(fileURLWithPath: environment["ASSETBUILD_CRASH_WRITER_DIR"]!))
        let round = Int(environment["ASSETBUILD_CRASH_WRITER_ROUND"] ?? "0") ?? 0
        for group in 0..<100_000 {
            let key = "round\(round)-group\(group)"
            try cache.beginAction(key: key, target: "t\(group)", componentsJSON: "{}")
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for index in 0..<4 {
                    tasks.addTask {
                        try cache.storeImage(cacheImageBytes(round * 1_000_000 + group * 4 + index, size: 20_000), key: key, index: index)
                    }
                }
                try await tasks.waitForAll()
            }
            try cache.recordRequest(actionKey: key, requestID: "req-\(group)", usage: Usage(generatedImages: 4, outputTokens: 1, totalTokens: 1), model: "m")
            try cache.finishAction(key: key, status: .complete)
        }
    }
}
