import ArgumentParser
import AssetBuildCore
import Foundation

struct Build: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build what is stale, and what it needs.",
        discussion: """
        Only stale targets send requests; everything else is left alone or restored from the cache. \
        Ctrl-C stops cleanly: images already received are kept, and the next build resumes from them.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var remote: RemoteOptions

    @Argument(help: "Targets to build, with what they need (default: every target).")
    var targets: [String] = []

    @Option(name: [.short, .customLong("jobs")], help: "Requests in flight at most (default: provider.concurrency).")
    var jobs: Int?

    @Flag(name: [.short, .customLong("keep-going")], help: "Keep going past failures: build everything that does not depend on them.")
    var keepGoing = false

    @Flag(name: [.customShort("n"), .customLong("dry-run")], help: "Say what would be built and why; send nothing, write nothing.")
    var dryRun = false

    @Flag(help: "Print why each target runs or is restored.")
    var explain = false

    @Flag(help: "Print build events as JSON Lines on standard output (schema: docs/events.md).")
    var json = false

    @Option(help: "Refuse to start a build whose estimated cost exceeds this amount (overrides provider.budget).")
    var budget: Double?

    @Flag(name: [.customShort("B"), .customLong("force")], help: "Rebuild the targets named even when up to date (costs requests).")
    var force = false

    @Flag(help: "Download every 'pin: true' URL again; targets rebuild only where the bytes behind a URL changed.")
    var repin = false

    @Flag(help: "Upload paid results to the remote cache, objects before records (env ASSETBUILD_REMOTE_UPLOAD=1).")
    var upload = false

    @Flag(help: "Never pay again for a result assetbuild.lock records: stop before sending anything when one is in no cache (for CI).")
    var locked = false

    func validate() throws {
        if let jobs, !(1...256).contains(jobs) { throw ValidationError("-j must be from 1 to 256, found \(jobs)") }
        if let budget, !budget.isFinite || budget < 0 {
            throw ValidationError("--budget must be an amount of 0 or more, such as 5 or 2.50; found \(budget)")
        }
    }

    mutating func run() async throws {
        if targets.isEmpty, !force, !repin, !dryRun, try global.fastNoop(json: json, explain: explain) { return }
        let workspace = try global.workspace()
        try global.checkKeyDestination(workspace.manifest)
        global.printWarnings(workspace.manifest)
        let style = ConsoleReporter.Style.detect(explain: explain || dryRun, environment: global.environment)
        let console = ConsoleReporter(style: json ? ConsoleReporter.Style(live: false, color: false, explain: explain) : style)
        let reporter: any BuildReporter = json ? FanOutReporter([JSONLinesReporter()]) : console
        let engine = global.engine(workspace, reporter: reporter)
        var options = BuildOptions()
        options.targets = targets
        options.jobs = jobs
        options.keepGoing = keepGoing
        options.dryRun = dryRun
        options.force = force
        options.repin = repin
        options.budget = budget
        options.locked = locked
        options.remote = try global.remoteCache(workspace, upload: upload, disabled: remote.noRemote)
        options.providerOverride = global.provider?.rawValue
        options.redis = try global.redis(workspace.manifest)
        // Warnings were printed above with their source lines; JSON Lines still carry them as events.
        options.reportManifestWarnings = json
        options.command = (["assetbuild"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let opts = options
        do {
            _ = try await InterruptHandler.run { try await engine.build(opts) }
        } catch is CancellationError {
            // Ctrl-C before any target ran (waiting for the build lock, or downloading pinned URLs):
            // an interrupted build once targets run reports what arrived through `BuildFailed`.
            FileHandle.standardError.write(Data("assetbuild: interrupted before the build started; nothing was built\n".utf8))
            throw ExitCode(1)
        }
    }
}
