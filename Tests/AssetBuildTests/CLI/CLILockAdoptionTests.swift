import Foundation
import Testing
@testable import AssetBuildCore

/// DESIGN §2: a fresh clone whose outputs are committed with `assetbuild.lock` is up to date with
/// no request, even without a cache.
@Suite("CLI lock adoption")
struct CLILockAdoptionTests {
    @Test("committed outputs that match assetbuild.lock need no request and are adopted into the cache")
    func freshCloneWithCommittedOutputs() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        try await ws.buildOK()
        let hashes = try ws.outputHashes()
        // A fresh clone: the outputs and the lock are committed, the cache is not.
        try ws.dir.remove(".assetbuild")

        let status = try await ws.run(["status", "--check", "--provider", "draft"])
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains("mascot        up to date: outputs match assetbuild.lock"), "\(status)")

        let build = try await ws.buildOK(["--explain"])
        #expect(build.requests == 0)
        #expect(try ws.outputHashes() == hashes)
        // Adopted: the cache now holds every output, and the next build is a plain no-op.
        let verify = try await ws.run(["cache", "verify"])
        #expect(verify.status == 0 && verify.stdout.contains("cache ok"), "\(verify)")
        let again = try await ws.buildOK()
        #expect(again.requests == 0)
        // Deleting build/ now restores from the adopted cache, still with no request.
        try ws.dir.remove("build")
        let restore = try await ws.buildOK()
        #expect(restore.requests == 0)
        #expect(try ws.outputHashes() == hashes)
    }

    @Test("an output that differs from assetbuild.lock is not adopted: that target is built")
    func editedCommittedOutputIsRebuilt() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        try await ws.buildOK()
        try ws.dir.remove(".assetbuild")
        try ws.dir.write(Data("not the committed image".utf8), to: "build/social/launch.story.jpeg")
        let r = try await ws.buildOK()
        // A derived output is made again from its adopted source, locally: no request.
        #expect(try r.startedTargets() == ["launch.story"])
        #expect(r.requests == 0)
    }
}
