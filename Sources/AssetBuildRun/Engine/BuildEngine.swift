import Foundation
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

public struct BuildOptions: Sendable {
    public var targets: [String] = []
    /// Requests in flight at most; nil uses `provider.concurrency`.
    public var jobs: Int?
    public var keepGoing = false
    public var dryRun = false
    /// Rebuild the named targets even when up to date (costs requests).
    public var force = false
    public var budget: Double?
    /// The command line, recorded in the build lock so a second build can say who holds it.
    public var command = "assetbuild build"
    public var waitForLock = true
    /// `--provider`, recorded in the no-op stamp (the manifest decides otherwise).
    public var providerOverride: String?
    /// Download every `pin: true` URL again (targets rebuild only where the bytes changed).
    public var repin = false
    /// Whether manifest warnings go to the reporter. The CLI prints them itself, with the source
    /// line and a caret, before the build; a console reporter repeating them would say each twice.
    public var reportManifestWarnings = true
    /// The shared remote cache, resolved by the caller from `cache:` and the environment (nil: none).
    package var remote: RemoteCache?
    /// Single flight per action key; nil uses leases within this process (`LocalActionLeases`).
    package var leases: (any ActionLeases)?
    /// `--locked`: a target whose result `assetbuild.lock` records is never paid for again.
    public var locked = false
    /// `cache pull`: restore what the caches hold and send nothing.
    public var restoreOnly = false
    /// Redis shared with other runners (rate limit, leases); nil: this process alone.
    public var redis: RedisURL?

    public init() {}
}

/// The plan of a build: each target's decision, and the totals `plan` prints.
public struct PlanReport: Sendable {
    public var targets: [TargetPlan]
    public var imagesToGenerate: Int { targets.filter { $0.status == .run || $0.status == .pending }.reduce(0) { $0 + $1.imagesToGenerate } }
    public var requests: Int { targets.reduce(0) { $0 + $1.requests } }
    public var estimatedCost: Double { targets.reduce(0) { $0 + $1.estimatedCost } }
    public var warnings: [Diagnostic]
    /// Said about the remote cache while planning (unreachable, refused): printed as warnings.
    public var remoteWarnings: [String] = []

    /// Images and estimated cost per model, for `plan`.
    public var costByModel: [(model: String, images: Int, cost: Double)] {
        var byModel: [String: (Int, Double)] = [:]
        for t in targets where (t.status == .run || t.status == .pending) && t.imagesToGenerate > 0 {
            let m = t.model ?? "?"
            byModel[m, default: (0, 0)].0 += t.imagesToGenerate
            byModel[m, default: (0, 0)].1 += t.estimatedCost
        }
        return byModel.sorted { $0.key < $1.key }.map { ($0.key, $0.value.0, $0.value.1) }
    }
}

/// Thrown when a build ran but some targets failed (exit 1).
public struct BuildFailed: Error, Sendable, CustomStringConvertible {
    public var summary: BuildSummary
    public var failures: [String]
    public var description: String {
        if summary.interrupted && summary.failed == 0 {
            return "build interrupted; the \(summary.imagesGenerated) image(s) that arrived are kept, and the next build resumes from them"
        }
        return "build failed: \(summary.failed) target(s) failed" + (summary.skipped > 0 ? ", \(summary.skipped) skipped" : "")
    }
}

/// Plans and runs builds of one workspace.
public final class BuildEngine: Sendable {
    public let workspace: Workspace
    package let images: any ImageProvider
    package let text: any TextProvider
    package let reporter: any BuildReporter
    package let clock: any BuildClock
    /// Downloads `pin: true` URLs (once; again with `--repin`).
    package let fetcher: any URLFetcher
    /// The kinds of action it builds targets with.
    package let kinds: ActionRegistry
    /// The build's files (outputs, records, reference files, the lock file) go through it.
    package let fileSystem: any FileSystem
    /// Where derived targets' pixels are made (libvips, started only when a target derives).
    package let derive: (any DeriveToolchain)?

    public convenience init(workspace: Workspace, images: any ImageProvider, text: any TextProvider,
                            reporter: any BuildReporter, clock: any BuildClock = SystemClock(), fetcher: (any URLFetcher)? = nil,
                            fileSystem: any FileSystem = LocalFileSystem(), derive: (any DeriveToolchain)? = nil) {
        self.init(workspace: workspace, images: images, text: text, reporter: reporter, clock: clock, fetcher: fetcher,
                  kinds: .standard, fileSystem: fileSystem, derive: derive)
    }

    package init(workspace: Workspace, images: any ImageProvider, text: any TextProvider, reporter: any BuildReporter,
         clock: any BuildClock = SystemClock(), fetcher: (any URLFetcher)? = nil, kinds: ActionRegistry,
         fileSystem: any FileSystem = LocalFileSystem(), derive: (any DeriveToolchain)? = nil) {
        self.workspace = workspace
        self.images = images
        self.text = text
        self.reporter = reporter
        self.clock = clock
        self.fetcher = fetcher ?? CurlURLFetcher(clock: clock)
        self.kinds = kinds
        self.fileSystem = fileSystem
        self.derive = derive
    }

    package var manifest: Manifest { workspace.manifest }

    /// Opens the cache and checks reference files; throws diagnostics (exit 2) before anything runs.
    package func prepare(cache: BuildCache, pinFailures: [String: String] = [:], lock: LazyLockFile? = nil,
                         deriveFacts: DeriveFacts? = nil) throws -> (InputFiles, Planner) {
        let inputs = InputFiles(memo: try cache.fileDigests(), pins: try cache.pins(), pinFailures: pinFailures,
                                fileSystem: fileSystem)
        let problems = ManifestLoader.sorted(inputs.check(manifest))
        if problems.contains(where: { $0.severity == .error }) {
            throw DiagnosticsError(problems, sources: [problems.first?.location?.file ?? "": manifest.source])
        }
        let fingerprinter = Fingerprinter(provider: images.name, directory: manifest.directory, inputs: inputs, derive: deriveFacts)
        var planner = Planner(manifest: manifest, fingerprinter: fingerprinter, actions: kinds.planned, cache: cache,
                              buildRoot: workspace.buildRoot,
                              targetStates: try cache.targetStates(project: workspace.project),
                              materialized: try cache.materialized(buildRoot: workspace.buildRoot))
        planner.lock = lock ?? LazyLockFile(path: workspace.paths.lockFile, fileSystem: fileSystem)
        planner.fileSystem = fileSystem
        planner.clock = clock
        try planner.prefetchActions()
        return (inputs, planner)
    }

    /// What a build would do, with reasons. Sends nothing and writes nothing.
    /// With `remote`, the stale targets it holds are planned as restored from it ($0).
    public func plan(targets names: [String] = [], force: Bool = false) async throws -> PlanReport {
        try await plan(targets: names, force: force, remote: nil)
    }

    package func plan(targets names: [String] = [], force: Bool = false, remote: RemoteCache?) async throws -> PlanReport {
        try await stoppingDerive { try await planBody(targets: names, force: force, remote: remote) }
    }

    /// `body`, then libvips' worker stopped if `body` started it, whether it returned or threw.
    private func stoppingDerive<T>(_ body: () async throws -> T) async throws -> T {
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        await derive?.shutdown()
        return try result.get()
    }

    private func planBody(targets names: [String], force: Bool, remote: RemoteCache?) async throws -> PlanReport {
        let order = try workspace.selection(names)
        let cache = try BuildCache.open(directory: workspace.cacheDirectory, clock: clock)
        let facts = try await deriveFacts(order)
        var (_, planner) = try prepare(cache: cache, deriveFacts: facts)
        if force { planner.forced = Set(order.map { manifest.targets[$0].name }) }
        var report = PlanReport(targets: try planner.plan(order, graph: workspace.graph), warnings: manifest.warnings)
        await report.markRemoteHits(remote, forced: planner.forced)
        return report
    }

    /// The settings a build with `options` runs with, decided once.
    package func context(_ options: BuildOptions) -> BuildContext {
        BuildContext(workspace: workspace, images: images, text: text, clock: clock, fileSystem: fileSystem,
                     reporter: reporter, kinds: kinds, derive: derive,
                     options: options)
    }

    /// libvips' version and the fonts, when one of the targets in `order` derives (nil otherwise:
    /// libvips is not started), kept in the state folder while they hold.
    package func deriveFacts(_ order: [Int]) async throws -> DeriveFacts? {
        try await DeriveFacts.gather(for: order.map { manifest.targets[$0] }, toolchain: derive, manifest: manifest,
                                     cache: DeriveFactsCache(path: workspace.paths.deriveFacts, fileSystem: fileSystem))
    }

    /// What `validate` checks of derived targets beyond the manifest, as plan and build do:
    /// libvips can be reached and every text overlay's font exists (exit 2 at its place).
    public func checkDerivedTargets() async throws {
        _ = try await stoppingDerive { try await deriveFacts(Array(manifest.targets.indices)) }
    }

    /// Builds, then stops libvips' worker if the build started it.
    public func build(_ options: BuildOptions) async throws -> BuildSummary {
        try await stoppingDerive { try await buildBody(options) }
    }

    private func buildBody(_ options: BuildOptions) async throws -> BuildSummary {
        let context = context(options)
        let started = clock.now()
        let order = try workspace.selection(options.targets)
        let cache = try BuildCache.open(directory: workspace.cacheDirectory, clock: clock)
        let lock = try await cache.acquireBuildLock(command: options.command, wait: options.waitForLock, clock: clock) { holder in
            reporter.report(.waitingForLock(holder.waitingMessage(cacheDirectory: workspace.cacheDirectory)))
        }
        defer { lock.release() }
        // Pinned URLs first: their bytes are inputs. A download is not a paid request, but a dry
        // run sends nothing at all.
        let lockFile = LazyLockFile(path: context.paths.lockFile, fileSystem: fileSystem)
        var pinFailures: [String: String] = [:]
        let pinned = URLPinner.pinnedURLs(context.actions)
        if !options.dryRun, !pinned.isEmpty {
            pinFailures = try await URLPinner(fetcher: fetcher).pin(pinned, cache: cache, repin: options.repin,
                                                                    locked: lockFile.lockFile.pins, reporter: reporter)
        }
        let facts = try await deriveFacts(order)
        var (inputs, planner) = try prepare(cache: cache, pinFailures: pinFailures, lock: lockFile, deriveFacts: facts)
        if options.force { planner.forced = Set(order.map { manifest.targets[$0].name }) }
        var plan = PlanReport(targets: try planner.plan(order, graph: workspace.graph), warnings: manifest.warnings)
        if options.reportManifestWarnings { for w in manifest.warnings { reporter.report(.warning(w.description)) } }
        await plan.markRemoteHits(context.remote, forced: planner.forced)
        for w in plan.remoteWarnings { reporter.report(.warning(w)) }
        try checkLockedResults(plan, lock: lockFile, context: context, options: options)

        let toRun = plan.targets.filter { $0.status == .run || $0.status == .pending }.count
        let toRestore = plan.targets.filter { $0.status == .restore }.count
        // Drafts cost nothing: `plan` shows what Ark would charge, the build what it will spend.
        reporter.report(.planned(targets: order.count, toRun: toRun, toRestore: toRestore,
                                 images: plan.imagesToGenerate, estimatedCost: context.isFree ? 0 : plan.estimatedCost))
        for p in plan.targets where p.status != .upToDate {
            reporter.report(.decided(target: p.target, status: p.status, reasons: p.reasons, detail: p.detail))
        }
        // Drafts are made locally and cost nothing: only a paid provider is held to the budget.
        if let budget = context.planBudget, !options.restoreOnly, plan.estimatedCost > budget + 1e-9 {
            throw DiagnosticsError([.error(String(format: "the plan's estimated cost is $%.2f, over the budget of $%.2f; nothing was sent", plan.estimatedCost, budget)
                                           + " (raise --budget or provider.budget, or build fewer targets)", at: nil)])
        }
        var summary = BuildSummary()
        var failureMessages: [String] = []
        var failedRequests: [String: FailedAttempt] = [:]
        summary.targets = order.count
        if !options.dryRun, !options.restoreOnly, toRun > 0 {
            // Missing credentials are a usage error: say so before anything runs.
            for provider in [images as? UnavailableProvider, text as? UnavailableProvider].compactMap({ $0 }) {
                throw DiagnosticsError([.error(provider.reason, at: nil)])
            }
        }
        if !options.dryRun, toRun > 0, let problems = workspace.outputPlaceProblems() { throw problems }
        if options.dryRun {
            summary.dryRun = true
            summary.upToDate = plan.targets.filter { $0.status == .upToDate }.count
            summary.seconds = seconds(since: started)
            reporter.report(.finished(summary))
            return summary
        }

        let nothingToDo = plan.targets.allSatisfy { $0.status == .upToDate && !$0.adoptsLockedOutputs }
        let fullBuild = options.targets.isEmpty
        let stamp = workspace.noopStamp(providerOverride: options.providerOverride)
        if !nothingToDo || !fullBuild { stamp.remove() }
        var processed = Set<String>()
        if nothingToDo {
            // The plan already decided every target: no scheduler, no tasks.
            summary.upToDate = order.count
            processed = Set(order.map { manifest.targets[$0].name })
        } else {
            let run = BuildRun(context: context, cache: cache, planner: planner)
            summary = await run.execute(order: order, plan: plan)
            processed = run.processedTargets
            failureMessages = run.failureMessages
            failedRequests = run.failedRequests
        }
        try? cache.recordFileDigests(inputs.newRecords)
        // The plan's components by action key: a state of the same key has the same components,
        // so the build record need not decode them again from the state's JSON.
        var known: [String: any KeyComponents] = [:]
        for p in plan.targets { if let fp = p.fingerprint { known[fp.key] = fp.components } }
        try finalize(context, cache: cache, selection: order, processed: processed, summary: &summary,
                     changed: !nothingToDo || !inputs.newRecords.isEmpty, knownComponents: known, failed: failedRequests)
        if fullBuild, summary.failed == 0, summary.skipped == 0, !summary.interrupted {
            try? writeStamp(stamp, context: context, cache: cache, deriveFacts: facts)
        }
        summary.seconds = seconds(since: started)
        reporter.report(.finished(summary))
        if summary.failed > 0 || summary.interrupted {
            throw BuildFailed(summary: summary, failures: failureMessages)
        }
        return summary
    }

    package func seconds(since start: Duration) -> Double {
        let d = clock.now() - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
