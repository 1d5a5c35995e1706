import Foundation
import Synchronization
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders
import AssetBuildRun

/// `--json`: one JSON object per line per event, schema in docs/events.md. Every object has
/// `"event"` and `"time"` (seconds since the reporter was made, read from `clock`); never any secret.
public final class JSONLinesReporter: BuildReporter {
    /// Held while a line is written, so lines from concurrent reports never interleave.
    private let writing = Mutex(())
    private let clock: any BuildClock
    private let started: Duration
    private let write: @Sendable (String) -> Void

    public init(clock: any BuildClock = SystemClock(),
                write: @escaping @Sendable (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }) {
        self.clock = clock
        self.started = clock.now()
        self.write = write
    }

    public func report(_ event: BuildEvent) {
        var o: [String: Any] = ["time": ((clock.now() - started).inSeconds * 1000).rounded() / 1000]
        switch event {
        case .planned(let targets, let toRun, let toRestore, let images, let cost):
            o["event"] = "planned"; o["targets"] = targets; o["to_run"] = toRun; o["to_restore"] = toRestore
            o["images"] = images; o["estimated_cost"] = cost
        case .decided(let target, let status, let reasons, let detail):
            o["event"] = "decided"; o["target"] = target; o["status"] = status.rawValue
            o["reasons"] = reasons.map(\.description)
            if let detail { o["detail"] = detail }
        case .targetStarted(let target, let images, let model):
            o["event"] = "target_started"; o["target"] = target; o["images"] = images; o["model"] = model
        case .imageReceived(let target, let index, let w, let h, let bytes):
            o["event"] = "image_received"; o["target"] = target; o["index"] = index + 1; o["width"] = w; o["height"] = h
            o["bytes"] = bytes
        case .imageFailed(let target, let f):
            o["event"] = "image_failed"; o["target"] = target; o["index"] = f.index + 1; o["code"] = f.code; o["message"] = f.message; o["advice"] = f.advice
        case .retrying(let target, let attempt, let max, let delay, let reason):
            o["event"] = "retrying"; o["target"] = target; o["attempt"] = attempt; o["max_attempts"] = max
            o["delay_seconds"] = delay.inSeconds
            o["reason"] = reason
        case .targetRestored(let target, let files, let source):
            o["event"] = "target_restored"; o["target"] = target; o["files_written"] = files
            if source == .remoteCache { o["from"] = source.rawValue }
        case .targetFinished(let target, let images, _):
            o["event"] = "target_finished"; o["target"] = target; o["images"] = images
        case .targetFailed(let target, let message):
            o["event"] = "target_failed"; o["target"] = target; o["message"] = message
        case .targetSkipped(let target, let because):
            o["event"] = "target_skipped"; o["target"] = target; o["because"] = because
        case .outputRemoved(let path):
            o["event"] = "output_removed"; o["path"] = path
        case .warning(let message):
            o["event"] = "warning"; o["message"] = message
        case .waitingForLock(let message):
            o["event"] = "waiting_for_lock"; o["message"] = message
        case .finished(let s):
            o["event"] = "finished"; o["targets"] = s.targets; o["built"] = s.built; o["restored"] = s.restored
            o["up_to_date"] = s.upToDate; o["failed"] = s.failed; o["skipped"] = s.skipped
            o["images_generated"] = s.imagesGenerated; o["requests"] = s.requests; o["retries"] = s.retries
            o["seconds"] = (s.seconds * 1000).rounded() / 1000; o["interrupted"] = s.interrupted
            o["dry_run"] = s.dryRun
        }
        guard let data = try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        writing.withLock { _ in write(String(decoding: data, as: UTF8.self) + "\n") }
    }
}
