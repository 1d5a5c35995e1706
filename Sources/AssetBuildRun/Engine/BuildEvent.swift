import Foundation
import Synchronization
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// What happens during a build, in the order it happens. Reporters turn these into a status line,
/// plain lines or JSON Lines (`--json`; schema in docs/events.md).
public enum BuildEvent: Sendable {
    /// The plan: how many targets, how many will send requests, how many images at most.
    case planned(targets: Int, toRun: Int, toRestore: Int, images: Int, estimatedCost: Double)
    /// A target's decision, with the reasons (printed under `--explain`).
    /// `detail`: what the plan adds, such as how a storybook's picture group fits the service's limit.
    case decided(target: String, status: TargetStatus, reasons: [RebuildReason], detail: String? = nil)
    case targetStarted(target: String, images: Int, model: String)
    case imageReceived(target: String, index: Int, width: Int, height: Int, bytes: Int)
    case imageFailed(target: String, failure: ImageFailure)
    /// A request failed in a way worth another try; the next attempt starts after `delay`.
    case retrying(target: String, attempt: Int, maxAttempts: Int, delay: Duration, reason: String)
    /// Outputs written from the cache, no request sent; `from` says which cache held the result.
    case targetRestored(target: String, files: Int, from: RestoreSource = .localCache)
    case targetFinished(target: String, images: Int, usage: Usage?)
    case targetFailed(target: String, message: String)
    case targetSkipped(target: String, because: String)
    case outputRemoved(path: String)
    case warning(String)
    case waitingForLock(String)
    case finished(BuildSummary)
}

/// Where a restored target's result came from.
public enum RestoreSource: String, Sendable {
    case localCache = "local"
    /// The shared remote cache: fetched, every byte verified, stored locally.
    case remoteCache = "remote"
}

public struct BuildSummary: Sendable, Codable {
    public var targets: Int
    public var built: Int
    public var restored: Int
    public var upToDate: Int
    public var failed: Int
    public var skipped: Int
    public var imagesGenerated: Int
    public var requests: Int
    public var retries: Int
    public var seconds: Double
    public var spend: Double
    public var interrupted: Bool
    /// `-n`: the plan was reported and nothing was sent or written.
    public var dryRun: Bool

    public init() {
        targets = 0; built = 0; restored = 0; upToDate = 0; failed = 0; skipped = 0
        imagesGenerated = 0; requests = 0; retries = 0; seconds = 0; spend = 0; interrupted = false; dryRun = false
    }
}

/// Receives build events. Implementations must be cheap and thread-safe: events come from many tasks.
public protocol BuildReporter: Sendable {
    func report(_ event: BuildEvent)
}

/// Sends each event to several reporters.
public struct FanOutReporter: BuildReporter {
    public var reporters: [any BuildReporter]
    public init(_ reporters: [any BuildReporter]) { self.reporters = reporters }
    public func report(_ event: BuildEvent) { for r in reporters { r.report(event) } }
}

/// Keeps every event, for tests.
public final class RecordingReporter: BuildReporter {
    private let recorded = Mutex<[BuildEvent]>([])
    public init() {}
    public func report(_ event: BuildEvent) { recorded.withLock { $0.append(event) } }
    public var events: [BuildEvent] { recorded.withLock { $0 } }
}
