import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore
@testable import AssetBuildDerive
@testable import AssetBuildDeriveWorker

/// A worker that dies, a request whose task is cancelled, a worker that cannot be found.
/// Each worker here is stopped (SIGSTOP) as it starts, so its requests are certainly in flight,
/// unanswered, when the test acts.
@Suite(.timeLimit(.minutes(2))) struct DeriveWorkerFailureTests {
    private let spec = DeriveSpec(size: .width(50), format: .png)

    @Test func a_killed_worker_fails_its_requests_and_the_next_request_starts_a_new_one() async throws {
        let stopFirst = Mutex(true)
        let log = WorkerEventLog { event in
            if let pid = event.startedPID, stopFirst.withLock({ first in defer { first = false }; return first }) {
                kill(pid, SIGSTOP)
            }
        }
        let client = VipsWorkerClient(executable: try WorkerFixtures.binary(), observer: log.observer)
        let source = DeriveFixtures.photo()
        let spec = self.spec
        let requests = (0..<3).map { _ in Task { try await client.derive(source, spec: spec) } }
        let started = await log.wait { $0.startedPID != nil }
        let firstPID = try #require(started.first?.startedPID)
        await log.wait(for: 3) { $0.isSent }
        kill(firstPID, SIGKILL)
        for request in requests {
            let result = await request.result.mapError { $0 as Error }
            guard case .failure(let error) = result, case .workerFailed(let message)? = error as? DeriveError else {
                Issue.record("a request to a killed worker: \(result)")
                continue
            }
            #expect(message.contains("(pid \(firstPID)) was killed by signal 9"), "\(message)")
            #expect(message.contains("3 derivation(s) in flight"), "\(message)")
            #expect(message.contains("Run the build again"), "\(message)")
        }
        #expect(!isUnreapedChild(firstPID), "the dead worker was reaped")
        let output = try await client.derive(source, spec: spec)
        #expect(try DerivedImageReader.info(output.data).width == 50)
        let secondPID = try #require(client.workerPID)
        #expect(secondPID != firstPID)
        #expect(await client.stop() == .exited(0))
    }

    @Test func a_cancelled_request_returns_at_once_and_the_worker_carries_on() async throws {
        let stopped = Mutex<pid_t?>(nil)
        let log = WorkerEventLog { event in
            if let pid = event.startedPID {
                kill(pid, SIGSTOP)
                stopped.withLock { $0 = pid }
            }
        }
        let client = VipsWorkerClient(executable: try WorkerFixtures.binary(), maxInFlight: 1, observer: log.observer)
        let source = DeriveFixtures.photo()
        let spec = self.spec
        let request = Task { try await client.derive(source, spec: spec) }
        await log.wait { $0.isSent }
        request.cancel()
        // The worker is stopped: only abandoning the request can answer it.
        await #expect(throws: DeriveError.cancelled) { try await request.value }
        // The abandoned request still holds the one slot until the worker answers it.
        let next = Task { try await client.derive(source, spec: spec) }
        let pid = try #require(stopped.withLock { $0 })
        kill(pid, SIGCONT)
        #expect(try DerivedImageReader.info(try await next.value.data).width == 50)
        #expect(client.workerPID == pid, "the same worker")
        #expect(await client.stop() == .exited(0))
    }

    @Test func a_missing_worker_binary_names_where_it_was_looked_for() {
        let found = WorkerLocator.find(selfExecutable: "/opt/tool/bin/assetbuild",
                                       environment: ["ASSETBUILD_VIPS": "/custom/vips-worker", "PATH": "/usr/local/bin:/usr/bin"],
                                       isExecutable: { _ in false })
        guard case .failure(.workerFailed(let message)) = found else { Issue.record("\(found)"); return }
        #expect(message == "the libvips worker 'assetbuild-vips' was not found (looked in: /opt/tool/bin/assetbuild-vips, "
                + "/custom/vips-worker, /usr/local/bin/assetbuild-vips, /usr/bin/assetbuild-vips); derived images need it: "
                + "install it beside assetbuild (`swift build` builds both), or set ASSETBUILD_VIPS to its path")
    }

    @Test func the_worker_beside_the_executable_comes_first_then_the_override_then_path() {
        let environment = ["ASSETBUILD_VIPS": "/custom/vips-worker", "PATH": "/usr/bin"]
        func find(_ present: Set<String>) -> String? {
            try? WorkerLocator.find(selfExecutable: "/opt/bin/assetbuild", environment: environment,
                                    isExecutable: { present.contains($0) }).get()
        }
        #expect(find(["/opt/bin/assetbuild-vips", "/custom/vips-worker", "/usr/bin/assetbuild-vips"]) == "/opt/bin/assetbuild-vips")
        #expect(find(["/custom/vips-worker", "/usr/bin/assetbuild-vips"]) == "/custom/vips-worker")
        #expect(find(["/usr/bin/assetbuild-vips"]) == "/usr/bin/assetbuild-vips")
    }

    @Test func a_worker_that_cannot_start_fails_the_request_clearly_and_starts_nothing() async {
        let client = VipsWorkerClient(executable: "/nonexistent/assetbuild-vips")
        await #expect(throws: DeriveError.workerFailed(
            "the libvips worker /nonexistent/assetbuild-vips could not be started: No such file or directory; check that it "
            + "is an executable file (reinstall assetbuild and assetbuild-vips together)")) {
            try await client.version()
        }
        #expect(client.workerPID == nil)
    }

    @Test func a_worker_that_exits_fails_the_request_with_its_status() async throws {
        let client = VipsWorkerClient(executable: "/bin/sh", arguments: ["-c", "exit 3"])
        let message = await workerFailure { () async throws(DeriveError) in try await client.version() }
        #expect(message.hasPrefix("the libvips worker /bin/sh (pid "), "\(message)")
        #expect(message.contains(") exited with status 3 with 1 derivation(s) in flight, which failed. Run the build again"), "\(message)")
        #expect(client.workerPID == nil, "the dead worker is forgotten")
    }

    @Test func a_worker_that_writes_garbage_is_stopped_as_a_protocol_failure() async throws {
        // Eight bytes announcing a 1.7 GB header: over the limit, so the client stops reading.
        let client = VipsWorkerClient(executable: "/bin/sh", arguments: ["-c", "printf 'garbage!'; exec sleep 600"])
        let message = await workerFailure { () async throws(DeriveError) in try await client.version() }
        #expect(message.contains("broke the protocol (a frame announced"), "\(message)")
        #expect(message.contains("and was stopped; 1 derivation(s) in flight failed"), "\(message)")
        #expect(message.hasSuffix("Check that assetbuild and assetbuild-vips come from the same build (reinstall both)"))
    }
}
