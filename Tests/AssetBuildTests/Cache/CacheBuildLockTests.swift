import Dispatch
import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

@Suite struct CacheBuildLockTests {
    @Test func a_second_acquire_without_waiting_fails_naming_the_holder() throws {
        let dir = try CacheTemporaryDirectory()
        let first = try BuildCache.open(directory: dir.url)
        let second = try BuildCache.open(directory: dir.url)
        let lock = try first.acquireBuildLock(command: "assetbuild build")
        defer { lock.release() }

        let error = #expect(throws: CacheError.self) {
            try second.acquireBuildLock(command: "assetbuild build hero")
        }

        guard case .lockHeld(let holder, let directory)? = error else {
            Issue.record("expected lockHeld, got \(String(describing: error))")
            return
        }
        #expect(holder.pid == getpid())
        #expect(holder.command == "assetbuild build")
        #expect(directory == dir.path)
        let message = error?.description ?? ""
        #expect(message.hasPrefix("the build lock is held by pid \(getpid()) (assetbuild build, started "))
        #expect(message.hasSuffix(") on \(dir.path)"))
    }

    @Test func waiting_blocks_until_the_holder_releases() async throws {
        let dir = try CacheTemporaryDirectory()
        let first = try BuildCache.open(directory: dir.url)
        let second = try BuildCache.open(directory: dir.url)
        let held = try first.acquireBuildLock(command: "assetbuild build")
        let (told, tell) = AsyncStream<String>.makeStream()

        let waiter = Task {
            let lock = try await second.acquireBuildLock(command: "assetbuild build waiter", wait: true, clock: SystemClock(),
                                                         poll: .milliseconds(5)) { holder in
                tell.yield(holder.waitingMessage(cacheDirectory: dir.url))
            }
            defer { lock.release() }
            return lock.isHeld ? "held" : "not held"
        }

        var messages = told.makeAsyncIterator()
        let text = await messages.next() ?? ""
        #expect(text.hasPrefix("waiting for the build lock held by pid \(getpid()) (assetbuild build, started "))
        #expect(text.hasSuffix(") on \(dir.path)"))
        // Still blocked: the lock file names the first holder, and a third party cannot take it.
        #expect(try String(contentsOfFile: dir.path + "/lock", encoding: .utf8).contains("\"command\":\"assetbuild build\""))
        #expect(throws: CacheError.self) { try BuildCache.open(directory: dir.url).acquireBuildLock(command: "third") }

        held.release()

        #expect(try await waiter.value == "held")
    }

    @Test func release_and_deinit_free_the_lock() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)

        let lock = try cache.acquireBuildLock(command: "one")
        lock.release()
        lock.release()  // idempotent
        #expect(!lock.isHeld)
        do {
            _ = try cache.acquireBuildLock(command: "two")
        }  // dropped: released by deinit
        let again = try cache.acquireBuildLock(command: "three")
        #expect(again.isHeld)
        let contents = try String(contentsOfFile: dir.path + "/lock", encoding: .utf8)
        #expect(contents.contains("\"command\":\"three\""))
        #expect(contents.contains("\"pid\":\(getpid())"))
    }

    @Test func holder_description_shows_time_and_foreign_host() {
        let now = Date()
        let local = LockHolder(pid: 1234, hostname: currentHostname(), command: "assetbuild build", startedAt: now)
        #expect(local.description == "pid 1234 (assetbuild build, started \(LockHolder.format(now)))")
        #expect(LockHolder.format(now).count == 8)  // HH:MM:SS today

        let remote = LockHolder(pid: 7, hostname: "ci-runner-9", command: "assetbuild build", startedAt: now)
        #expect(remote.description.hasSuffix(" on host ci-runner-9"))

        let old = Date(timeIntervalSinceNow: -3 * 86_400)
        #expect(LockHolder.format(old).count == 19)  // YYYY-MM-DD HH:MM:SS
        #expect(LockHolder.unknown.description == "another process")
    }
}

/// The build's wait for the lock is cancellable: Ctrl-C while another build holds it ends the
/// wait at once. Each test waits for the "waiting" event, cancels, and awaits the outcome; a
/// watchdog frees the lock after a generous minute so a wait that ignores cancellation fails
/// (it then takes the lock) instead of hanging.
@Suite struct CacheBuildLockCancellationTests {
    @Test func cancelling_a_lock_wait_throws_cancellation_and_leaves_the_lock_free_of_it() async throws {
        let dir = try CacheTemporaryDirectory()
        let first = try BuildCache.open(directory: dir.url)
        let second = try BuildCache.open(directory: dir.url)
        let held = try first.acquireBuildLock(command: "assetbuild build")
        let watchdog = Task { try await Task.sleep(for: .seconds(60)); held.release() }
        defer { watchdog.cancel() }
        let (waiting, tell) = AsyncStream<LockHolder>.makeStream()

        let waiter = Task {
            try await second.acquireBuildLock(command: "assetbuild build", wait: true, clock: SystemClock()) { holder in
                tell.yield(holder)
            }
        }
        var events = waiting.makeAsyncIterator()
        let holder = await events.next()
        #expect(holder?.pid == getpid())
        waiter.cancel()

        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        #expect(held.isHeld)
        // The abandoned wait closed its descriptor: once the holder lets go, anyone can take it.
        held.release()
        let again = try second.acquireBuildLock(command: "assetbuild build")
        #expect(again.isHeld)
    }

    @Test func the_async_wait_takes_the_lock_once_the_holder_releases() async throws {
        let dir = try CacheTemporaryDirectory()
        let first = try BuildCache.open(directory: dir.url)
        let second = try BuildCache.open(directory: dir.url)
        let held = try first.acquireBuildLock(command: "assetbuild build")
        let (waiting, tell) = AsyncStream<Void>.makeStream()

        let waiter = Task {
            try await second.acquireBuildLock(command: "assetbuild build hero", wait: true, clock: SystemClock(),
                                              poll: .milliseconds(5)) { _ in
                tell.yield()
            }
        }
        var events = waiting.makeAsyncIterator()
        await events.next()
        held.release()
        let lock = try await waiter.value
        #expect(lock.isHeld)
        #expect(throws: CacheError.self) { try first.acquireBuildLock(command: "x") }
    }

    @Test func a_build_waiting_for_the_lock_ends_with_cancellation_error() async throws {
        let fixture = try EngineFixture()
        let manifest = try ManifestLoader.load(path: fixture.dir.url("assetbuild.yaml"))
        let workspace = try Workspace(manifest: manifest)
        let other = try BuildCache.open(directory: workspace.cacheDirectory)
        let held = try other.acquireBuildLock(command: "assetbuild build")
        let watchdog = Task { try await Task.sleep(for: .seconds(60)); held.release() }
        defer { watchdog.cancel() }
        let reporter = SignallingReporter()
        let engine = BuildEngine(workspace: workspace, images: fixture.provider, text: fixture.provider, reporter: reporter)

        let build = Task { try await engine.build(BuildOptions()) }
        var events = reporter.waiting.makeAsyncIterator()
        let message = await events.next()
        #expect(message?.hasPrefix("waiting for the build lock held by pid \(getpid()) (assetbuild build, started ") == true)
        build.cancel()

        await #expect(throws: CancellationError.self) { _ = try await build.value }
        #expect(fixture.provider.actionsRan.isEmpty)
        #expect(held.isHeld)
    }
}

/// Passes each `waitingForLock` message to `waiting`, so a test can await the wait starting.
private final class SignallingReporter: BuildReporter {
    let waiting: AsyncStream<String>
    private let tell: AsyncStream<String>.Continuation

    init() { (waiting, tell) = AsyncStream<String>.makeStream() }

    func report(_ event: BuildEvent) {
        if case .waitingForLock(let message) = event { tell.yield(message) }
    }
}
