import Foundation
import Testing
@testable import AssetBuildCore
@testable import AssetBuildDerive
@testable import AssetBuildDeriveWorker

/// The real `assetbuild-vips` (built beside the test bundle, found the way assetbuild finds it)
/// and a log of a client's events to wait on.
enum WorkerFixtures {
    static func binary() throws -> String {
        try WorkerLocator.find().get()
    }

    /// A spec using every wire field: cover with a gravity crop, a background, an SVG logo and
    /// wrapped text.
    static var richSpec: DeriveSpec {
        DeriveSpec(size: .exact(width: 240, height: 160), fit: .cover, crop: .gravity(.east), format: .jpeg, quality: 70,
                   background: DeriveColor(hex: "#0FB5AE"), overlays: [
                       .image(DeriveImageOverlay(bytes: DeriveFixtures.svgRect(width: 40, height: 20, fill: "#ff0000"),
                                                 gravity: .southEast, margin: 8, width: 60, opacity: 0.8)),
                       .text(DeriveTextOverlay(text: "Hello worker", font: "DejaVu Sans Bold", size: 18,
                                               color: DeriveColor(10, 20, 30, 200), gravity: .north, margin: 4, maxWidth: 120)),
                   ])
    }
}

/// Client events, in order, with a way to wait until one matches.
final class WorkerEventLog: Sendable {
    private let stream: AsyncStream<VipsWorkerClient.Event>
    private let continuation: AsyncStream<VipsWorkerClient.Event>.Continuation
    /// Run synchronously on each event before it is logged (e.g. stop a worker as it starts).
    private let action: @Sendable (VipsWorkerClient.Event) -> Void

    init(action: @escaping @Sendable (VipsWorkerClient.Event) -> Void = { _ in }) {
        (stream, continuation) = AsyncStream.makeStream()
        self.action = action
    }

    var observer: @Sendable (VipsWorkerClient.Event) -> Void {
        { [continuation, action] event in
            action(event)
            continuation.yield(event)
        }
    }

    /// Waits for `count` events matching `predicate` (counting from the last wait).
    @discardableResult
    func wait(for count: Int = 1, _ predicate: (VipsWorkerClient.Event) -> Bool) async -> [VipsWorkerClient.Event] {
        var matched: [VipsWorkerClient.Event] = []
        for await event in stream where predicate(event) {
            matched.append(event)
            if matched.count == count { break }
        }
        return matched
    }
}

extension VipsWorkerClient.Event {
    var isSent: Bool { if case .sent = self { return true } else { return false } }
    var startedPID: pid_t? { if case .started(let pid) = self { return pid } else { return nil } }
}

/// Whether `pid` is a child of this process that has not been reaped (a zombie, or still running).
func isUnreapedChild(_ pid: pid_t) -> Bool {
    var status: Int32 = 0
    let result = waitpid(pid, &status, WNOHANG)
    return !(result == -1 && errno == ECHILD)
}

/// The message of the `.workerFailed` that `body` throws; records an issue (and gives "") when it
/// succeeds or throws anything else.
func workerFailure<T>(_ body: () async throws(DeriveError) -> T) async -> String {
    do {
        let value = try await body()
        Issue.record("expected .workerFailed, got \(value)")
    } catch {
        if case .workerFailed(let message) = error { return message }
        Issue.record("expected .workerFailed, got \(error)")
    }
    return ""
}
