import FakeArk
import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

/// Never worse than local: a forged object or record is refused and never materialized, a remote
/// that is down or dies mid-build is a warning, and `--locked` refuses to pay again.
@Suite("Remote cache: refusals, outages and --locked")
struct RemoteCacheRefusalTests {
    static let single = """
    version: 1
    defaults: {model: doubao-seedream-4-0-250828, size: 1K}
    targets:
      tree:
        prompt: "A lone tree on a hill"
      lake:
        prompt: "A quiet lake at dawn"
        size: 2K

    """

    // The fake paints by size and place in the group: other sizes give other bytes.

    /// Builds `single` with uploads to a fresh nginx, then makes a fresh clone; returns the server.
    static func uploaded(_ s: ArkScene) async throws -> (LoopbackServer, [String: String]) {
        let nginx = try await LoopbackServer.nginxWebDAV()
        let remote = ["ASSETBUILD_REMOTE_CACHE": nginx.httpURL]
        let r = try await s.build(["--upload"], extra: remote)
        #expect(r.status == 0, "\(r)")
        try s.freshClone()
        return (nginx, remote)
    }

    @Test("a forged object (other bytes under its name) is refused: the build pays for that image instead")
    func forgedObject() async throws {
        try await withArk(Self.single) { s in
            let (nginx, remote) = try await Self.uploaded(s)
            let object = try #require(LockFile.read(s.dir.url("assetbuild.lock")).targets["tree"]?.outputs.first?.sha256)
            let forged = try JPEGCodec.encode(RGBImage(width: 64, height: 64, color: RGBColor(255, 0, 0)))
            try forged.write(to: URL(fileURLWithPath: nginx.directory.url("store/cas/\(object)")))
            let paid = s.fake.generationRequests.count

            let r = try await s.build([], extra: remote)
            #expect(r.status == 0, "\(r)")
            #expect(s.fake.generationRequests.count == paid + 1)
            #expect(try r.startedTargets() == ["tree"])
            #expect(try s.restoredFromRemote(r) == ["lake"])
            let warning = try #require(try s.warnings(r).first { $0.contains("refused") })
            #expect(warning.contains("'tree'") && warning.contains(nginx.httpURL) && warning.contains("output 1"), "\(warning)")
            #expect(try s.dir.read("build/tree.jpeg") != forged)
        }
    }

    @Test("a forged record (naming another object) or one that is not JSON is refused, never materialized")
    func forgedRecord() async throws {
        try await withArk(Self.single) { s in
            let (nginx, remote) = try await Self.uploaded(s)
            let lock = LockFile.read(s.dir.url("assetbuild.lock"))
            let tree = try #require(lock.targets["tree"]), lake = try #require(lock.targets["lake"])
            // tree's record now names lake's image: valid JSON, real object, wrong result.
            let path = nginx.directory.url("store/ac/\(tree.key)")
            let text = try String(contentsOfFile: path, encoding: .utf8)
                .replacingOccurrences(of: tree.outputs[0].sha256, with: lake.outputs[0].sha256)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try "{not json".write(toFile: nginx.directory.url("store/ac/\(lake.key)"), atomically: true, encoding: .utf8)
            let paid = s.fake.generationRequests.count

            let r = try await s.build([], extra: remote)
            #expect(r.status == 0, "\(r)")
            #expect(s.fake.generationRequests.count == paid + 2)
            #expect(try s.restoredFromRemote(r).isEmpty)
            let warnings = try s.warnings(r).filter { $0.contains("refused") }
            #expect(warnings.count == 2, "\(warnings)")
            #expect(warnings.contains { $0.contains("'lake'") && $0.contains("not valid JSON") }, "\(warnings)")
            #expect(warnings.contains { $0.contains("'tree'") && $0.contains("output 1") }, "\(warnings)")
        }
    }

    @Test("under --locked a refused remote result fails the target without a request")
    func forgedObjectUnderLocked() async throws {
        try await withArk(Self.single) { s in
            let (nginx, remote) = try await Self.uploaded(s)
            let object = try #require(LockFile.read(s.dir.url("assetbuild.lock")).targets["tree"]?.outputs.first?.sha256)
            try Data("forged".utf8).write(to: URL(fileURLWithPath: nginx.directory.url("store/cas/\(object)")))
            let paid = s.fake.generationRequests.count
            let r = try await s.build(["--locked", "-k"], extra: remote)
            #expect(r.status == 1, "\(r)")
            #expect(s.fake.generationRequests.count == paid)
            let failed = try r.events(named: "target_failed").compactMap { $0["message"] as? String }
            #expect(failed.count == 1 && failed[0].contains("--locked does not pay for it again"), "\(failed)")
            #expect(!s.dir.exists("build/tree.jpeg"))
        }
    }

    @Test("an unreachable remote is one warning; the build finishes locally")
    func unreachable() async throws {
        let nginx = try await LoopbackServer.nginxWebDAV()
        let url = nginx.httpURL
        nginx.stop()
        try await withArk(Self.single) { s in
            let r = try await s.build(["--upload"], extra: ["ASSETBUILD_REMOTE_CACHE": url])
            #expect(r.status == 0, "\(r)")
            #expect(s.fake.generationRequests.count == 2)
            let warnings = try s.warnings(r).filter { $0.contains("remote cache \(url)") }
            #expect(warnings.count == 1, "\(warnings)")
            #expect(warnings.first?.contains("going on with the local cache only") == true)
        }
    }

    @Test("the remote killed mid-build: a warning, and the build finishes locally")
    func killedMidBuild() async throws {
        let nginx = try await LoopbackServer.nginxWebDAV()
        let answered = Mutex(0)
        let manifest = Self.single.replacingOccurrences(of: "    prompt: \"A quiet lake at dawn\"", with: "    prompt: \"A quiet lake at dawn\"\n    references: [tree]")
        try await withArk(manifest, { b in
            // The second generation (lake, after tree was paid and uploaded) first kills the remote.
            b.beforeAnswer = { request in
                guard request.path.hasSuffix("/images/generations") else { return }
                if answered.withLock({ $0 += 1; return $0 }) == 2 { nginx.stop() }
            }
        }) { s in
            let r = try await s.build(["--upload"], extra: ["ASSETBUILD_REMOTE_CACHE": nginx.httpURL])
            #expect(r.status == 0, "\(r)")
            #expect(s.fake.generationRequests.count == 2)
            #expect(!nginx.isRunning)
            #expect(try s.warnings(r).contains { $0.contains("remote cache \(nginx.httpURL)") && $0.contains("unreachable") }, "\(r)")
            #expect(s.dir.exists("build/tree.jpeg") && s.dir.exists("build/lake.jpeg"))
            // tree made it up before the remote died.
            let tree = try #require(s.lockedKeys()["tree"])
            #expect(FileManager.default.fileExists(atPath: nginx.directory.url("store/ac/\(tree)")))
        }
    }

    @Test("two targets with identical inputs in one build: one request, both written")
    func identicalInputsPayOnce() async throws {
        let manifest = """
        version: 1
        defaults: {model: doubao-seedream-4-0-250828, size: 1K}
        targets:
          hero:
            prompt: "A lighthouse at night"
          hero-copy:
            prompt: "A lighthouse at night"

        """
        try await withArk(manifest) { s in
            let r = try await s.build([], extra: [:])
            #expect(r.status == 0, "\(r)")
            #expect(s.fake.generationRequests.count == 1)
            #expect(try s.dir.read("build/hero.jpeg") == s.dir.read("build/hero-copy.jpeg"))
        }
    }

    @Test("--locked on a fresh clone with no remote: stops before sending anything, saying how to get the images")
    func lockedRefusalGolden() async throws {
        try await withArk(Self.single) { s in
            #expect(try await s.build([], extra: [:]).status == 0)
            try s.freshClone()
            let r = try await s.build(["--locked"], extra: [:])
            #expect(r.status == 2)
            #expect(s.fake.generationRequests.count == 2)
            let plain = try await s.run(["build", "--provider", "ark", "--locked"], extra: [:])
            try ManifestSnapshot.assert(CLIGoldenTests.render(["assetbuild", "build", "--locked"], plain, workspace: s.ws.path),
                                        golden: CLIGoldenTests.goldens.appendingPathComponent("remote/locked-refusal.txt"))

            // Without --locked: a loud warning, then the images are paid for again.
            let again = try await s.build([], extra: [:])
            #expect(again.status == 0)
            #expect(s.fake.generationRequests.count == 4)
            #expect(try s.warnings(again).contains { $0.hasPrefix("2 target(s) whose results assetbuild.lock records are in neither cache nor build/ (tree, lake)") },
                    "\(again)")
        }
    }
}
