import ArgumentParser
import AssetBuildCore
import Foundation

extension Cache {
    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload to the remote cache what the local cache holds for this manifest's current targets.",
            discussion: """
            Each paid result (images, text) whose inputs are current: its objects first, then its record, \
            so a reader never finds a record without its objects. Results the remote already holds are skipped. \
            The remote is cache.remote, or ASSETBUILD_REMOTE_CACHE; credentials come from the environment.
            """)
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let workspace = try global.workspace()
            let remote = try Cache.requireRemote(global, workspace)
            let engine = global.engine(workspace, reporter: RecordingReporter())
            let report = try await engine.plan()
            let cache = try BuildCache.open(directory: workspace.cacheDirectory)
            let kinds = ActionRegistry.standard
            var pushed = 0, present = 0, missing: [String] = []
            for p in report.targets {
                guard let target = workspace.manifest[p.target], kinds.action(for: target).sendsRequest,
                      let key = p.fingerprint?.key else { continue }
                guard p.status == .upToDate || p.status == .restore else {
                    missing.append(p.target)
                    continue
                }
                switch await remote.has(key: key, warn: Cache.warn) {
                case true?: present += 1
                case false?: if await remote.upload(key: key, from: cache, warn: Cache.warn) { pushed += 1 }
                case nil: break
                }
                if remote.unavailable != nil { throw ExitCode(1) }
            }
            print("pushed \(pushed) result(s) to \(remote.displayURL); \(present) were there already")
            if !missing.isEmpty {
                print("not in the local cache (build them first): " + missing.joined(separator: ", "))
            }
        }
    }

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch from the remote cache what this manifest's targets need, and write them into build/ (sends no request).",
            discussion: """
            Like 'dvc pull', it checks out: every stale target whose result the remote cache holds is fetched, \
            verified (every sha256, every image header) and written into build/, and derived images are made \
            locally from them. Nothing is generated: a target the remote does not hold fails, and 'assetbuild build' \
            generates it. Exit 1 when anything was missing.
            """)
        @OptionGroup var global: GlobalOptions

        @Flag(help: "Print why each target is restored.")
        var explain = false

        func run() async throws {
            let workspace = try global.workspace()
            let remote = try Cache.requireRemote(global, workspace)
            let style = ConsoleReporter.Style.detect(explain: explain, environment: global.environment)
            let engine = global.engine(workspace, reporter: ConsoleReporter(style: style))
            var options = BuildOptions()
            options.remote = remote
            options.restoreOnly = true
            options.keepGoing = true
            options.reportManifestWarnings = false
            options.command = "assetbuild cache pull"
            let opts = options
            _ = try await InterruptHandler.run { try await engine.build(opts) }
        }
    }

    /// The configured remote cache, or exit 2 saying how to configure one.
    static func requireRemote(_ global: GlobalOptions, _ workspace: Workspace) throws -> RemoteCache {
        guard let remote = try global.remoteCache(workspace, upload: true, disabled: false) else {
            throw DiagnosticsError([.error("no remote cache is configured: set 'cache: {remote: URL}' in the manifest, or ASSETBUILD_REMOTE_CACHE "
                                           + "(https://host/prefix for the Bazel HTTP protocol, s3://bucket/prefix for S3)", at: nil)])
        }
        return remote
    }

    static func warn(_ message: String) { FileHandle.standardError.write(Data("warning: \(message)\n".utf8)) }
}
