import FakeArk
import Foundation
import Testing
@testable import AssetBuildCore

/// A small manifest for the remote-cache tests: a single image, a group of two, a text target,
/// and an image that depends on another (so one key is known only once its upstream is built).
/// The fake paints by size and place in the group, so each image has its own size here: equal
/// bytes would let a restored image re-index another target's recorded output from the lock.
enum RemoteScenes {
    static let manifest = """
    version: 1
    defaults: {model: doubao-seedream-4-0-250828, size: 1K}
    targets:
      story:
        kind: text
        prompt: "A one-scene story about a fox"
        response_format: json_object
      fox:
        prompt: "A fox titled ${story.title}, flat vector"
      poses:
        prompt: "Two images of the fox from image 1"
        references: [fox]
        images: 2
        size: 1280x720
      tree:
        prompt: "A lone tree on a hill"
        size: 2K

    """

    /// The same with `cache.remote` in the manifest.
    static func manifest(remote: String) -> String {
        manifest.replacingOccurrences(of: "version: 1\n", with: "version: 1\ncache:\n  remote: \(remote)\n")
    }
}

extension ArkScene {
    /// `assetbuild build --provider ark --json ARGS` with `extra` in the environment.
    func build(_ args: [String], extra: [String: String]) async throws -> CLIResult {
        try await ws.run(["build", "--provider", "ark", "--json"] + args, environment: environment().merging(extra) { $1 })
    }

    func run(_ args: [String], extra: [String: String]) async throws -> CLIResult {
        try await ws.run(args, environment: environment().merging(extra) { $1 })
    }

    /// A fresh clone of the project: `assetbuild.lock` is committed, the cache and build/ are not.
    func freshClone() throws {
        try dir.remove(".assetbuild")
        try dir.remove("build")
    }

    /// The action keys `assetbuild.lock` records, by target.
    func lockedKeys() -> [String: String] {
        LockFile.read(dir.url("assetbuild.lock")).targets.mapValues(\.key)
    }

    /// Targets restored from the remote cache (`target_restored` with `from: remote`).
    func restoredFromRemote(_ r: CLIResult) throws -> [String] {
        try r.events(named: "target_restored").filter { $0["from"] as? String == "remote" }.compactMap { $0["target"] as? String }.sorted()
    }

    func warnings(_ r: CLIResult) throws -> [String] {
        try r.events(named: "warning").compactMap { $0["message"] as? String }
    }
}

extension LoopbackServer {
    /// The environment that points assetbuild at moto's S3 with any credentials (moto takes any).
    func s3Environment(bucket: String) -> [String: String] {
        ["ASSETBUILD_REMOTE_CACHE": "s3://\(bucket)/team-cache", "AWS_ENDPOINT_URL": httpURL, "AWS_REGION": "us-east-1",
         "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"]
    }

    /// Creates a bucket on moto's S3.
    func createBucket(_ name: String) async throws {
        let http = CurlTransport()
        defer { http.shutdown() }
        let r = try await http.send(TransportRequest(method: "PUT", url: httpURL + "/" + name))
        #expect(r.status == 200, "create bucket: \(r.status)")
    }
}
