import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

/// `clean` and `cache gc` wait for the build lock the way `build` does: saying who holds it, and
/// Ctrl-C ends the wait at once. The real binary runs while this process holds the lock; each
/// step waits for the child's own words on stderr (an event, not a sleep), and the lock is held
/// throughout an interrupted run, so a wait that ignored Ctrl-C would hang until the generous
/// timeout kills it (and the test fails).
@Suite struct CLILockWaitTests {
    static let manifest = """
        version: 1
        provider: {name: draft}
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
        targets:
          hero:
            prompt: "A lighthouse at dawn"
          icon:
            prompt: "A small boat"
        """

    /// A built workspace with one garbage object in the cache (hero's image before an edit), and
    /// the build lock held by this process.
    static func builtAndLocked() async throws -> (CLIWorkspace, BuildLock) {
        let ws = try CLIWorkspace(manifest: manifest)
        try await ws.buildOK()
        try ws.dir.edit("assetbuild.yaml", replacing: "at dawn", with: "at dusk")
        try await ws.buildOK()
        let cache = try BuildCache.open(directory: URL(fileURLWithPath: ws.dir.url(".assetbuild")))
        return (ws, try cache.acquireBuildLock(command: "assetbuild test-holder"))
    }

    static let waiting = "waiting for the build lock held by pid \(getpid()) (assetbuild test-holder, started "

    @Test("Ctrl-C while clean or cache gc waits for the build lock exits at once and changes nothing",
          arguments: [(["clean"], "nothing was removed"), (["cache", "gc"], "nothing was deleted")])
    func interruptedWhileWaiting(command: [String], untouched: String) async throws {
        let (ws, lock) = try await Self.builtAndLocked()
        defer { lock.release() }
        let before = ws.writeStamps()
        #expect(ws.dir.files(under: "build").count == 3, "two images and the record")
        #expect(ws.dir.files(under: ".assetbuild/objects").count == 3, "two images and the one hero had before the edit")

        let child = try WatchedCLI(command, in: ws.path)
        try await child.waitForStderr(containing: Self.waiting)
        child.interrupt()
        let r = try await child.finish(timeout: .seconds(60))

        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.hasSuffix("assetbuild: interrupted while waiting for the build lock; \(untouched)\n"), "\(r)")
        #expect(r.stdout.isEmpty, "\(r)")
        #expect(lock.isHeld)
        #expect(ws.writeStamps() == before, "nothing in build/, assetbuild.lock or the cache changed")
    }

    @Test("clean and cache gc go ahead once the build lock is released")
    func proceedsWhenReleased() async throws {
        let (ws, lock) = try await Self.builtAndLocked()
        let gc = try WatchedCLI(["cache", "gc"], in: ws.path)
        try await gc.waitForStderr(containing: Self.waiting)
        lock.release()
        let collected = try await gc.finish(timeout: .seconds(60))
        #expect(collected.status == 0, "\(collected)")
        #expect(ws.dir.files(under: ".assetbuild/objects").count == 2, "hero's old image is collected: \(collected)")

        let again = try BuildCache.open(directory: URL(fileURLWithPath: ws.dir.url(".assetbuild")))
            .acquireBuildLock(command: "assetbuild test-holder")
        let clean = try WatchedCLI(["clean"], in: ws.path)
        try await clean.waitForStderr(containing: Self.waiting)
        #expect(ws.dir.exists("build/hero.jpeg"), "nothing is removed while the lock is held")
        again.release()
        let cleaned = try await clean.finish(timeout: .seconds(60))
        #expect(cleaned.status == 0, "\(cleaned)")
        #expect(cleaned.stdout.hasPrefix("removed 2 output file(s); the cache in "), "\(cleaned)")
        #expect(!ws.dir.exists("build"), "\(cleaned)")
    }

    @Test("Ctrl-C while a build waits for the build lock exits at once, saying nothing was built")
    func buildInterruptedWhileWaiting() async throws {
        let (ws, lock) = try await Self.builtAndLocked()
        defer { lock.release() }
        try ws.dir.edit("assetbuild.yaml", replacing: "A small boat", with: "A small red boat")
        let before = ws.writeStamps()
        let child = try WatchedCLI(["build"], in: ws.path)
        try await child.waitForStderr(containing: Self.waiting)
        child.interrupt()
        let r = try await child.finish(timeout: .seconds(60))
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.hasSuffix("assetbuild: interrupted before the build started; nothing was built\n"), "\(r)")
        #expect(!r.stderr.contains("CancellationError"), "\(r)")
        #expect(ws.writeStamps() == before, "nothing in build/, assetbuild.lock or the cache changed")
    }
}

/// The real binary with its stderr on a pipe, so a test can wait for what it says.
final class WatchedCLI: Sendable {
    private let process: Process
    /// Everything on stderr so far.
    private final class Transcript: Sendable {
        let text = Mutex("")
    }
    private let stderr = Transcript()
    private let stdoutPath: String
    private let said: AsyncStream<String>
    private let exited: AsyncStream<Int32>

    init(_ args: [String], in directory: String) throws {
        (process, exited) = try assetbuildProcess(args, in: directory)
        stdoutPath = FileManager.default.temporaryDirectory.path + "/assetbuild-cli-\(UUID().uuidString).out"
        _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        let pipe = Pipe()
        process.standardError = pipe
        let (said, tell) = AsyncStream<String>.makeStream()
        self.said = said
        pipe.fileHandleForReading.readabilityHandler = { [stderr] handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
                tell.finish()
            } else {
                tell.yield(stderr.text.withLock { $0 += String(decoding: data, as: UTF8.self); return $0 })
            }
        }
        try process.run()
    }

    /// Returns once stderr holds `text`; throws when the child closes stderr without saying it, or
    /// has not said it after `timeout` (then the child is killed, so nothing is left waiting).
    func waitForStderr(containing text: String, timeout: Duration = .seconds(120)) async throws {
        let said = self.said
        let heard = await Self.within(timeout) {
            for await soFar in said where soFar.contains(text) { return true }
            return false
        }
        guard heard == true else {
            if heard == nil, process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw TestSupportError("assetbuild \(process.arguments ?? []) never said '\(text)'"
                                   + (heard == nil ? " within \(timeout)" : "") + "; stderr:\n\(stderr.text.withLock { $0 })")
        }
    }

    /// `body`'s result, or nil when `timeout` passes first (`body` is cancelled then; an
    /// `AsyncStream` loop ends at cancellation).
    static func within<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
        await withTaskGroup(of: T?.self) { group in
            group.addTask { await body() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Ctrl-C.
    func interrupt() { kill(process.processIdentifier, SIGINT) }

    /// Waits for the exit (killing the child after `timeout`, which fails the test).
    func finish(timeout: Duration) async throws -> CLIResult {
        defer { try? FileManager.default.removeItem(atPath: stdoutPath) }
        let status = try await awaitExit(process, exited, timeout: timeout) { [stderr] in stderr.text.withLock { $0 } }
        // The rest of stderr: the pipe closes when the child exits (later if another test's child
        // inherited its write end, hence the bound).
        let said = self.said
        _ = await Self.within(.seconds(30)) { for await _ in said {} }
        let out = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        return CLIResult(status: status, stdout: out, stderr: stderr.text.withLock { $0 })
    }

}
