import Foundation
import Testing
@testable import AssetBuildCore

/// A private copy of an example (or a manifest written by the test) in its own temporary
/// directory, driven through the real binary with the offline draft provider.
struct CLIWorkspace {
    let dir: TestDirectory

    /// A copy of `examples/<name>` (without any build/ or cache the checkout may hold).
    init(example name: String) throws {
        dir = try TestDirectory("cli-\(name)")
        try copyTree(from: PackageRoot.path + "/examples/" + name, to: dir.path)
    }

    /// A workspace holding just `manifest` as assetbuild.yaml.
    init(manifest: String) throws {
        dir = try TestDirectory("cli")
        try dir.write(manifest, to: "assetbuild.yaml")
    }

    var path: String { dir.path }

    func run(_ args: [String], environment: [String: String] = [:]) async throws -> CLIResult {
        try await assetbuild(args, in: dir.path, environment: environment)
    }

    /// `assetbuild build --provider draft ARGS`.
    func build(_ args: [String] = [], environment: [String: String] = [:]) async throws -> CLIResult {
        try await run(["build", "--provider", "draft"] + args, environment: environment)
    }

    /// `build --json`, which must succeed; returns the result for event checks.
    @discardableResult
    func buildOK(_ args: [String] = [], sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> CLIResult {
        let r = try await build(["--json"] + args)
        #expect(r.status == 0, "\(r)", sourceLocation: sourceLocation)
        return r
    }

    /// `build/assetbuild.json`, decoded.
    func record() throws -> BuildRecord {
        try JSONDecoder().decode(BuildRecord.self, from: try dir.read("build/assetbuild.json"))
    }

    /// sha256 of every file under build/ (except the record), by path relative to build/.
    func outputHashes() throws -> [String: String] {
        var out: [String: String] = [:]
        for f in dir.files(under: "build") where f != "assetbuild.json" { out[f] = try dir.sha256("build/" + f) }
        return out
    }

    /// Stamps of every file a build could write: outputs, the record, the lock file and the
    /// cache (its `lock` file excepted: taking the build lock rewrites it by design).
    func writeStamps() -> [String: String] {
        dir.stamps(under: "build", plus: ["assetbuild.lock"])
            .merging(dir.stamps(under: ".assetbuild").filter { $0.key != ".assetbuild/lock" }) { a, _ in a }
    }
}

extension CLIResult {
    /// Targets that sent a request (`target_started` events of `--json`).
    func startedTargets() throws -> [String] {
        try events().filter { $0["event"] as? String == "target_started" }.compactMap { $0["target"] as? String }
    }

    func events(named name: String) throws -> [[String: Any]] {
        try events().filter { $0["event"] as? String == name }
    }

    /// The reasons of the last `decided` event for `target`.
    func reasons(for target: String) throws -> [String] {
        try events(named: "decided").last { $0["target"] as? String == target }?["reasons"] as? [String] ?? []
    }

    func summary(_ key: String) throws -> Int { try finished()[key] as? Int ?? -1 }
}

/// The brand-kit example's outputs and the pixel size each was asked for.
let brandKitOutputs: [String: (width: Int, height: Int)] = [
    "mascot.jpeg": (2048, 2048),
    "poses/1.jpeg": (2048, 2048), "poses/2.jpeg": (2048, 2048), "poses/3.jpeg": (2048, 2048), "poses/4.jpeg": (2048, 2048),
    "public/img/hero.jpeg": (2560, 1440),
    "social/launch-square.jpeg": (2048, 2048),
    "social/launch-story.jpeg": (1440, 2560),
    "social/launch-banner.jpeg": (3024, 1296),
]
let brandKitTargets = ["hero", "launch-banner", "launch-square", "launch-story", "mascot", "poses"]
