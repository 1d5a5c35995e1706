import Foundation
import Testing
@testable import AssetBuildCore

/// No Ctrl-C is lost however early it comes. Through a test-only variable the real binary raises
/// SIGINT (and SIGTERM) the instant its handler is installed: before the handler's watcher runs
/// and before the command's work (waiting for the build lock this process holds) has a task. A
/// lost signal would leave the child waiting for the lock until the timeout kills it, or exiting 1
/// where a second signal must exit 130, and the test fails.
@Suite struct CLIInterruptTests {
    static let variable = "ASSETBUILD_TEST_INTERRUPT_AT_INSTALL"

    @Test("A Ctrl-C the instant the handler is installed still stops build, clean and cache gc",
          arguments: [
              (["build"], "assetbuild: interrupted before the build started; nothing was built\n"),
              (["clean"], "assetbuild: interrupted while waiting for the build lock; nothing was removed\n"),
              (["cache", "gc"], "assetbuild: interrupted while waiting for the build lock; nothing was deleted\n"),
          ])
    func interruptAtInstall(command: [String], says: String) async throws {
        let (ws, lock) = try await CLILockWaitTests.builtAndLocked()
        defer { lock.release() }
        let before = ws.writeStamps()
        let r = try await assetbuild(command, in: ws.path, environment: [Self.variable: "1"], timeout: .seconds(60))
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.hasSuffix(says), "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(lock.isHeld)
        #expect(ws.writeStamps() == before, "nothing in build/, assetbuild.lock or the cache changed")
    }

    @Test("Two signals the instant the handler is installed are both counted: the second quits with 130",
          arguments: [["build"], ["clean"], ["cache", "gc"]])
    func secondSignalAtInstall(command: [String]) async throws {
        let (ws, lock) = try await CLILockWaitTests.builtAndLocked()
        defer { lock.release() }
        let r = try await assetbuild(command, in: ws.path, environment: [Self.variable: "2"], timeout: .seconds(60))
        #expect(r.status == 130, "\(r)")
        // build says it is stopping on the first; clean and gc say nothing until the wait ends.
        #expect(r.stderr.contains("assetbuild: interrupted; keeping what arrived (Ctrl-C again to quit now)") == (command == ["build"]), "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(lock.isHeld)
    }
}
