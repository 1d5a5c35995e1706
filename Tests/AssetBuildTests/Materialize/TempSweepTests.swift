import Foundation
import Testing
@testable import AssetBuildCore

@Suite struct TempSweepTests {
    @Test func temp_files_of_dead_processes_are_swept_and_live_ones_kept() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A pid far above Linux's default pid_max (4,194,304 at most) is never running.
        let dead = dir + "/.assetbuild-tmp-99999999-123"
        let mine = dir + "/.assetbuild-tmp-\(getpid())-456"
        let output = dir + "/hero.jpeg"
        for f in [dead, mine, output] { try Data("x".utf8).write(to: URL(fileURLWithPath: f)) }
        FileOps.sweepTempFiles(in: dir)
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: mine))
        #expect(FileManager.default.fileExists(atPath: output))
    }
}
