import FakeArk
import Foundation
import Testing
@testable import AssetBuildCore

/// Issue 12: a build with uploads fills a real remote cache (nginx over WebDAV speaking the Bazel
/// HTTP protocol; moto's S3), and a fresh clone restores every image and text from it with zero
/// requests to the (fake) service, counted in its request log.
@Suite("Remote cache end to end")
struct RemoteCacheEndToEndTests {
    @Test("nginx: an uploading build fills /ac and /cas; a fresh clone restores everything with zero requests")
    func nginxRoundTrip() async throws {
        let nginx = try await LoopbackServer.nginxWebDAV()
        try await withArk(RemoteScenes.manifest(remote: nginx.httpURL + "/assets")) { s in
            let first = try await s.build(["--upload"], extra: [:])
            #expect(first.status == 0, "\(first)")
            let paid = s.fake.requests.count
            #expect(paid == 4)   // one chat, three image generations
            let keys = s.lockedKeys()
            #expect(keys.count == 4)
            for key in keys.values { #expect(FileManager.default.fileExists(atPath: nginx.directory.url("store/assets/ac/\(key)"))) }
            // Every object the lock names (the story and the images), and nothing else.
            let objects = Set(LockFile.read(s.dir.url("assetbuild.lock")).targets.values.flatMap { $0.outputs.map(\.sha256) })
            #expect(Set(nginx.directory.files(under: "store/assets/cas")) == objects)
            let hashes = try s.ws.outputHashes()
            let lock = try s.dir.read("assetbuild.lock")

            try s.freshClone()
            // plan asks with one HEAD per stale key: the story is restorable; its dependents wait.
            let plan = try await s.run(["plan", "--provider", "ark"], extra: [:])
            #expect(plan.status == 0, "\(plan)")
            #expect(plan.stdout.contains("story  restore from cache: never built; in the remote cache, $0"), "\(plan)")
            #expect(plan.stdout.contains("tree   restore from cache: never built; in the remote cache, $0"), "\(plan)")

            let restore = try await s.build([], extra: [:])
            #expect(restore.status == 0, "\(restore)")
            #expect(s.fake.requests.count == paid, "no request may reach the service")
            #expect(try s.restoredFromRemote(restore) == ["fox", "poses", "story", "tree"], "\(restore.stdout)")
            #expect(try s.ws.outputHashes() == hashes)
            #expect(try s.dir.read("assetbuild.lock") == lock)
            // Stored locally: the next build is a no-op even with the remote gone.
            nginx.stop()
            let again = try await s.build([], extra: [:])
            let upToDate = try again.summary("up_to_date")
            #expect(again.status == 0 && upToDate == 4, "\(again)")
            let verify = try await s.run(["cache", "verify"], extra: [:])
            #expect(verify.status == 0, "\(verify)")
        }
    }

    @Test("S3 (moto): signed uploads and reads; a fresh clone restores everything with zero requests")
    func s3RoundTrip() async throws {
        let s3 = try await LoopbackServer.s3()
        try await s3.createBucket("team-assets")
        let env = s3.s3Environment(bucket: "team-assets")
        try await withArk(RemoteScenes.manifest) { s in
            let first = try await s.build([], extra: env.merging(["ASSETBUILD_REMOTE_UPLOAD": "1"]) { $1 })
            #expect(first.status == 0, "\(first)")
            #expect(try s.warnings(first).isEmpty, "\(first)")
            let paid = s.fake.requests.count
            let hashes = try s.ws.outputHashes()

            try s.freshClone()
            let restore = try await s.build([], extra: env)
            #expect(restore.status == 0, "\(restore)")
            #expect(s.fake.requests.count == paid)
            #expect(try s.restoredFromRemote(restore) == ["fox", "poses", "story", "tree"])
            #expect(try s.ws.outputHashes() == hashes)
            // Credentials never reach the output.
            #expect(!restore.stdout.contains("wJalrXUtnFEMI") && !restore.stderr.contains("wJalrXUtnFEMI"))
        }
    }

    @Test("cache push uploads what a local build made; cache pull checks it out into a fresh clone with no request")
    func pushThenPull() async throws {
        let nginx = try await LoopbackServer.nginxWebDAV()
        let remote = ["ASSETBUILD_REMOTE_CACHE": nginx.httpURL + "/cache"]
        try await withArk(RemoteScenes.manifest) { s in
            #expect(try await s.build([], extra: [:]).status == 0)
            #expect(nginx.directory.files(under: "store").isEmpty)
            let push = try await s.run(["cache", "push", "--provider", "ark"], extra: remote)
            #expect(push.status == 0, "\(push)")
            #expect(push.stdout.contains("pushed 4 result(s) to \(nginx.httpURL)/cache; 0 were there already"), "\(push)")
            let again = try await s.run(["cache", "push", "--provider", "ark"], extra: remote)
            #expect(again.stdout.contains("pushed 0 result(s) to \(nginx.httpURL)/cache; 4 were there already"), "\(again)")
            let hashes = try s.ws.outputHashes()
            let paid = s.fake.requests.count

            try s.freshClone()
            // No API key at all: pull never sends a request.
            let pull = try await s.ws.run(["cache", "pull", "--provider", "ark"], environment: remote)
            #expect(pull.status == 0, "\(pull)")
            #expect(s.fake.requests.count == paid)
            #expect(try s.ws.outputHashes() == hashes)
        }
    }
}
