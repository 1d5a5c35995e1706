import ArgumentParser
import AssetBuildCore
import AssetBuildDeriveWorker
import Foundation

/// Where the manifest, cache and build directory are; shared by every subcommand.
struct GlobalOptions: ParsableArguments {
    @Option(name: [.short, .customLong("file")], help: ArgumentHelp("The manifest to read.", valueName: "file"))
    var file: String = ManifestLoader.defaultFileName

    @Option(name: [.customShort("C"), .customLong("directory")],
            help: ArgumentHelp("Change to this directory before doing anything.", valueName: "dir"))
    var directory: String?

    @Option(name: .customLong("cache-dir"),
            help: ArgumentHelp("The cache directory (default: .assetbuild beside the manifest; env ASSETBUILD_CACHE_DIR).", valueName: "dir"))
    var cacheDir: String?

    @Option(name: .customLong("build-dir"),
            help: ArgumentHelp("Where outputs are written (default: build beside the manifest).", valueName: "dir"))
    var buildDir: String?

    @Option(name: .customLong("provider"), help: "Override provider.name: 'ark' (the real service) or 'draft' (offline).")
    var provider: ProviderName?

    @Flag(name: .customLong("allow-outside"),
          help: "Let references and text files come from outside the manifest's folder (env ASSETBUILD_ALLOW_OUTSIDE=1).")
    var allowOutside = false

    /// Empty paths would mean the current directory (`--build-dir ''` would write into it).
    func validate() throws {
        for (flag, value) in [("-f/--file", file), ("-C/--directory", directory), ("--cache-dir", cacheDir), ("--build-dir", buildDir)] {
            if let value, value.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError("\(flag) is empty; give a path, or leave the option out for the default")
            }
        }
    }

    /// `--cache-dir`, else `ASSETBUILD_CACHE_DIR` when it is set and not empty.
    var cacheDirectory: String? {
        cacheDir ?? environment["ASSETBUILD_CACHE_DIR"].flatMap { $0.isEmpty ? nil : $0 }
    }

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// Changes to `-C DIR`, once per process (several steps may ask).
    func enterDirectory() throws {
        guard !DirectoryChange.done else { return }
        DirectoryChange.done = true
        if let directory {
            guard FileManager.default.changeCurrentDirectoryPath(directory) else {
                throw DiagnosticsError([.error("cannot change to directory '\(directory)'", at: nil)])
            }
        }
    }

    /// When the last full build's no-op stamp still holds, reports "up to date" without reading
    /// the manifest and returns true.
    func fastNoop(json: Bool, explain: Bool) throws -> Bool {
        guard let targets = try upToDateTargets()?.count else { return false }
        let reporter: any BuildReporter = json
            ? JSONLinesReporter()
            : ConsoleReporter(style: ConsoleReporter.Style.detect(explain: explain, environment: environment))
        reporter.report(.planned(targets: targets, toRun: 0, toRestore: 0, images: 0, estimatedCost: 0))
        var summary = BuildSummary()
        summary.targets = targets
        summary.upToDate = targets
        reporter.report(.finished(summary))
        return true
    }

    /// Every target's name when the last full build's no-op stamp still holds (nothing to do).
    func upToDateTargets() throws -> [String]? {
        try enterDirectory()
        let paths = StatePaths(manifestPath: file, cacheDirectory: cacheDirectory, buildDirectory: buildDir)
        return NoopStamp(manifestPath: file, paths: paths, providerOverride: provider?.rawValue)
            .checkTargets()
    }

    /// Loads the manifest (exit 2 with diagnostics when it is wrong) and its workspace.
    func workspace() throws -> Workspace {
        try enterDirectory()
        let manifest = try ManifestLoader.load(path: file, displayName: file,
                                               allowOutside: allowOutside || LocalFilePolicy.allowed(by: environment))
        return try Workspace(manifest: manifest, cacheDirectory: cacheDirectory,
                             buildDirectory: buildDir)
    }

    func engine(_ workspace: Workspace, reporter: any BuildReporter) -> BuildEngine {
        let (images, text) = ProviderFactory.make(workspace.manifest.provider, override: provider, environment: environment)
        // Pinned URLs are fetched over the same TLS settings as the service.
        let fetcher = CurlURLFetcher(configuration: CurlTransport.configuration(environment: environment))
        // libvips runs in the assetbuild-vips worker, started only when a target derives.
        return BuildEngine(workspace: workspace, images: images, text: text, reporter: reporter, fetcher: fetcher,
                           derive: VipsWorkerClient())
    }

    /// Exit 2 before anything is sent when the API key would go where the user has not allowed
    /// (`KeyDestination`): the refusal points at `provider.base_url` and says how to allow it.
    func checkKeyDestination(_ manifest: Manifest) throws {
        guard ProviderFactory.choose(manifest.provider, override: provider) == .ark,
              let refusal = KeyDestination.refusal(manifest.provider, environment: environment) else { return }
        throw manifest.diagnosticsError([refusal])
    }

    /// Prints manifest warnings (prompt length advice and the like) to standard error.
    func printWarnings(_ manifest: Manifest) {
        guard !manifest.warnings.isEmpty else { return }
        let text = DiagnosticsError(manifest.warnings, sources: [manifest.warnings[0].location?.file ?? "": manifest.source])
        FileHandle.standardError.write(Data((text.render(color: false) + "\n").utf8))
    }
}

extension ProviderName: ExpressibleByArgument {}

/// Whether `-C` was already applied (commands run once per process, on one thread).
enum DirectoryChange {
    nonisolated(unsafe) static var done = false
}
