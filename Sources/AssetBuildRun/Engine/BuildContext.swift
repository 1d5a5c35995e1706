import AssetBuildSupport
import AssetBuildDeriveSpec
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildRemote
import AssetBuildProviders
import AssetBuildCoordination
/// Everything one build runs with, decided once when it starts and handed down: the providers and
/// whether they charge, the budget, whether a failure stops the build, how many requests go out
/// at once and how they are retried, where every state file is, the clock, the reporter and the
/// kinds of action. Nothing below the engine reaches back up for any of it.
package struct BuildContext: Sendable {
    package let workspace: Workspace
    package let images: any ImageProvider
    package let text: any TextProvider
    /// Decided once, from the provider: a free provider's images are not priced, its requests not
    /// rate-limited, and its plan not held to the budget.
    package let isFree: Bool
    /// `--budget`, else `provider.budget`.
    package let budget: Double?
    /// Without `-k`: the first failure stops admitting requests and scheduling targets.
    package let stopOnFailure: Bool
    /// Requests in flight at most: `-j`, else `provider.concurrency`.
    package let concurrency: Int
    package let retry: RetryPolicy
    package let clock: any BuildClock
    /// Every file the build reads or writes outside the object store goes through it.
    package let fileSystem: any FileSystem
    package let reporter: any BuildReporter
    package let kinds: ActionRegistry
    /// Where derived targets' pixels are made (libvips); nil when this build cannot reach it.
    package let derive: (any DeriveToolchain)?
    /// Single flight: an action key is paid for by one holder at a time (in this process, or
    /// across runners with a shared implementation).
    package let leases: any ActionLeases
    /// The shared remote cache, if any: read before paying, written after (when it uploads).
    package let remote: RemoteCache?
    /// `--locked`: never pay again for a result `assetbuild.lock` records.
    package let locked: Bool
    /// `cache pull`: restore from the caches, send nothing.
    package let restoreOnly: Bool
    /// Redis shared with other runners (`--redis`/`coordination.redis`); only for a paid provider.
    package let coordination: Coordination?

    package init(workspace: Workspace, images: any ImageProvider, text: any TextProvider, clock: any BuildClock,
         fileSystem: any FileSystem, reporter: any BuildReporter, kinds: ActionRegistry,
         derive: (any DeriveToolchain)? = nil, options: BuildOptions) {
        let provider = workspace.manifest.provider
        self.workspace = workspace
        self.images = images
        self.text = text
        self.isFree = images.isFree
        self.budget = options.budget ?? provider.budget
        self.stopOnFailure = !options.keepGoing
        self.concurrency = options.jobs ?? provider.concurrency
        self.retry = RetryPolicy(maxAttempts: provider.maxAttempts, maxTotal: .seconds(provider.maxRetrySeconds))
        self.clock = clock
        self.fileSystem = fileSystem
        self.reporter = reporter
        self.kinds = kinds
        self.derive = derive
        self.remote = options.remote
        self.locked = options.locked
        self.restoreOnly = options.restoreOnly
        self.coordination = images.isFree ? nil : options.redis.map { url in
            Coordination(url: url, clock: clock, warn: { [reporter] in reporter.report(.warning($0)) })
        }
        // Redis leases when runners share Redis (they take the in-process lease first).
        self.leases = options.leases ?? coordination.map { RedisActionLeases(coordination: $0) } ?? LocalActionLeases()
    }

    package var manifest: Manifest { workspace.manifest }
    package var paths: StatePaths { workspace.paths }

    /// What one image of `model` costs in this build: nothing from a free provider.
    package func price(_ model: String) -> Double { isFree ? 0 : manifest.provider.price(for: model) }

    /// The budget the plan's estimate is held to before anything is sent: none for a free provider.
    package var planBudget: Double? { isFree ? nil : budget }

    /// The admission gate of this build: the per-model rate limit (only a real service has one;
    /// drafts are made locally as fast as they render), then `concurrency` slots.
    package func makeGate() -> RequestGate {
        let provider = manifest.provider
        let local = isFree ? nil : RateLimiter(limits: provider.rateLimits, defaultLimit: provider.defaultRateLimit, clock: clock)
        var limiter: (any RateLimiting)? = local
        if let local, let coordination {
            limiter = SharedRateLimiter(coordination: coordination, local: local, limits: provider.rateLimits,
                                        defaultLimit: provider.defaultRateLimit)
        }
        return RequestGate(concurrency: concurrency, limiter: limiter, stopOnFailure: stopOnFailure)
    }

    /// Single flight per action key: in this process, and across runners through Redis.
    /// Every target's action, in declaration order.
    package var actions: [any BuildAction] { manifest.targets.map(kinds.action(for:)) }
}
