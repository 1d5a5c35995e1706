import Foundation
@testable import AssetBuildCore

/// A manifest in a temporary directory, built in-process by `BuildEngine` with a
/// `RecordingProvider`, so tests see exactly which actions ran (no subprocess, no network).
final class EngineFixture: Sendable {
    let dir: TestDirectory
    let provider: RecordingProvider
    let reporter = RecordingReporter()
    /// Where derived targets' pixels are made (libvips in process, in the derive tests).
    let derive: (any DeriveToolchain)?

    /// A chain `a → b → c`, a target `d` with a reference file, and a group `g`.
    static let chain = """
        version: 1
        provider: {name: draft}
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
        targets:
          a:
            prompt: "alpha"
          b:
            prompt: "beta from image 1"
            references: [a]
          c:
            prompt: "gamma from image 1"
            references: [b]
          d:
            prompt: "delta from image 1"
            references: [refs/in.png]
          g:
            prompt: "a group of two"
            images: 2
        """

    init(_ manifest: String = EngineFixture.chain, rendering: RecordingProvider.Rendering = .tiny,
         derive: (any DeriveToolchain)? = nil) throws {
        self.derive = derive
        dir = try TestDirectory("engine")
        provider = RecordingProvider(rendering: rendering)
        try dir.write(manifest, to: "assetbuild.yaml")
        try writeReference(color: RGBColor(200, 40, 40))
    }

    func writeReference(color: RGBColor) throws {
        try dir.write(try PNGCodec.encode(RGBImage(width: 32, height: 32, color: color)), to: "refs/in.png")
    }

    func engine() throws -> BuildEngine {
        let manifest = try ManifestLoader.load(path: dir.url("assetbuild.yaml"))
        return BuildEngine(workspace: try Workspace(manifest: manifest), images: provider, text: provider, reporter: reporter,
                           derive: derive)
    }

    /// Builds and returns the targets that sent requests during this build.
    @discardableResult
    func build(_ targets: [String] = [], keepGoing: Bool = false, jobs: Int? = nil) async throws -> [String] {
        provider.reset()
        var options = BuildOptions()
        options.targets = targets
        options.keepGoing = keepGoing
        options.jobs = jobs
        _ = try await engine().build(options)
        return provider.actionsRan
    }

    func plan() async throws -> [String: TargetPlan] {
        Dictionary(uniqueKeysWithValues: try await engine().plan().targets.map { ($0.target, $0) })
    }

    func edit(_ old: String, _ new: String) throws { try dir.edit("assetbuild.yaml", replacing: old, with: new) }

    /// The last `decided` event for `target` in everything reported so far.
    func lastDecision(_ target: String) -> (TargetStatus, [RebuildReason])? {
        for case let .decided(t, status, reasons, _) in reporter.events.reversed() where t == target { return (status, reasons) }
        return nil
    }

    /// À la carte's `correctBuild`: every target's recorded action key equals a freshly computed one
    /// (so a fresh plan finds everything up to date), and every output on disk, in
    /// build/assetbuild.json and in assetbuild.lock has the sha256 recorded for it. Returns problems.
    func correctBuildProblems() async throws -> [String] {
        var problems: [String] = []
        let engine = try engine()
        let cache = try BuildCache.open(directory: engine.workspace.cacheDirectory)
        let states = try cache.targetStates()
        let before = provider.actionsRan.count
        for p in try await engine.plan().targets {
            if p.status != .upToDate { problems.append("\(p.target): \(p.status.rawValue) \(p.reasons)") }
            if p.fingerprint?.key != states[p.target]?.actionKey {
                problems.append("\(p.target): recorded key \(states[p.target]?.actionKey ?? "none") != fresh \(p.fingerprint?.key ?? "none")")
            }
        }
        if provider.actionsRan.count != before { problems.append("planning sent a request") }
        let record = try JSONDecoder().decode(BuildRecord.self, from: try dir.read("build/assetbuild.json"))
        let lock = try dir.text("assetbuild.lock")
        for t in engine.workspace.manifest.targets {
            guard let entry = record.targets[t.name] else { problems.append("\(t.name): not in assetbuild.json"); continue }
            if entry.actionKey != states[t.name]?.actionKey { problems.append("\(t.name): assetbuild.json key differs") }
            if !lock.contains("  \(t.name):\n    key: \(entry.actionKey)\n") { problems.append("\(t.name): assetbuild.lock key differs") }
            for o in entry.outputs {
                let actual = try? dir.sha256("build/" + o.path)
                if actual != o.sha256 { problems.append("\(o.path): sha256 \(actual ?? "missing") != recorded \(o.sha256)") }
                if !lock.contains("- path: \(o.path)\n        sha256: \(o.sha256)\n") { problems.append("\(o.path): not in assetbuild.lock") }
            }
        }
        let declared = Set(record.targets.values.flatMap { $0.outputs.map(\.path) })
        for f in dir.files(under: "build") where f != "assetbuild.json" && !declared.contains(f) && !f.hasPrefix("user/") {
            problems.append("\(f): in build/ but not declared")
        }
        return problems
    }
}
