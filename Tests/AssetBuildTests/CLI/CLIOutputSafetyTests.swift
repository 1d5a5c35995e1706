import Foundation
import Testing
@testable import AssetBuildCore

/// Issue 14 items 12 and 13, through the real binary with the draft provider: what goes into
/// build/ is checked against its name, and a file the person changed there is theirs.
@Suite("CLI output safety")
struct CLIOutputSafetyTests {
    static let manifest = """
        version: 1
        provider: {name: draft}
        defaults: {model: doubao-seedream-4-0-250828, size: 1024x1024}
        targets:
          hero: {prompt: "A lighthouse at dusk"}
          icon: {prompt: "A small round icon"}

        """

    /// A built workspace and the object of `hero`'s output.
    static func built() async throws -> (CLIWorkspace, ObjectStore, ObjectID) {
        let ws = try CLIWorkspace(manifest: manifest)
        try await ws.buildOK()
        let objects = try ObjectStore(directory: URL(fileURLWithPath: ws.dir.url(".assetbuild/objects")))
        let id = try #require(ObjectID(hex: try ws.dir.sha256("build/hero.jpeg")))
        #expect(objects.contains(id))
        return (ws, objects, id)
    }

    // MARK: Item 12

    @Test("an object with the right size but other bytes is never copied into build/")
    func damagedObjectIsNotMaterialized() async throws {
        let (ws, objects, id) = try await Self.built()
        let cleaned = try await ws.run(["clean"])
        #expect(cleaned.status == 0, "\(cleaned)")
        let path = objects.path(for: id)
        let size = try Data(contentsOf: URL(fileURLWithPath: path)).count
        chmod(path, 0o644)
        try Data(repeating: 0x5A, count: size).write(to: URL(fileURLWithPath: path))

        let r = try await ws.build(["--json", "-k"])
        #expect(r.status == 1, "\(r)")
        #expect(!ws.dir.exists("build/hero.jpeg"), "a damaged object was written into build/")
        #expect(ws.dir.exists("build/icon.jpeg"))
        let failed = try r.events(named: "target_failed").first { $0["target"] as? String == "hero" }
        let message = failed?["message"] as? String ?? ""
        #expect(message.contains("the image of 'hero' (sha256 \(id.hex.prefix(12))…) is lost from the cache"), "\(message)")
        #expect(message.contains("is damaged (its bytes hash to"), "\(message)")
        #expect(message.contains("the next build asks for that image again"), "\(message)")
        #expect(!objects.contains(id), "the damaged object is deleted, so a good copy can take its name")

        // What the message says: the next build generates that image (the draft's one request).
        let next = try await ws.buildOK()
        #expect(next.requests == 1, "\(next)")
        #expect(try ws.dir.sha256("build/hero.jpeg") == id.hex, "the draft provider is deterministic")
        let verify = try await ws.run(["cache", "verify"])
        #expect(verify.status == 0 && verify.stdout.contains("cache ok"), "\(verify)")
    }

    @Test("a missing object is restored from the lock's evidence (the build/ copy), with no request")
    func missingObjectRestoredFromBuildCopy() async throws {
        let (ws, objects, id) = try await Self.built()
        // The index and hero's object are gone; build/hero.jpeg still holds what assetbuild.lock records.
        try FileManager.default.removeItem(atPath: objects.path(for: id))
        try ws.dir.remove(".assetbuild/" + BuildCache.databaseName)
        let r = try await ws.buildOK()
        #expect(r.requests == 0, "\(r)")
        #expect(objects.contains(id))
        #expect(try objects.verify(id))
        let verify = try await ws.run(["cache", "verify"])
        #expect(verify.status == 0 && verify.stdout.contains("cache ok"), "\(verify)")
        // And from now on it is an ordinary cache: build/ can go, and comes back with no request.
        try ws.dir.remove("build")
        let restored = try await ws.buildOK()
        #expect(restored.requests == 0, "\(restored)")
        #expect(try ws.dir.sha256("build/hero.jpeg") == id.hex)
    }

    @Test("a missing object with no copy is reported with what to do, never as a bare 'No such file'")
    func missingObjectWithoutEvidence() async throws {
        let (ws, objects, id) = try await Self.built()
        _ = try await ws.run(["clean"])
        try FileManager.default.removeItem(atPath: objects.path(for: id))
        let r = try await ws.build(["-k"])
        #expect(r.status == 1, "\(r)")
        #expect(r.stderr.contains("is lost from the cache: '\(objects.path(for: id))' is missing"), "\(r)")
        #expect(r.stderr.contains("the next build asks for that image again"), "\(r)")
        #expect(!r.output.contains("No such file or directory"), "\(r)")
        let next = try await ws.buildOK()
        #expect(next.requests == 1, "\(next)")
    }

    // MARK: Item 13

    @Test("a hand-edited output is kept: status says so, build refuses that target and says how to keep or discard it")
    func handEditedOutputIsKept() async throws {
        let (ws, _, _) = try await Self.built()
        try ws.dir.write("my own retouch", to: "build/hero.jpeg")
        let status = try await ws.run(["status", "--provider", "draft"])
        #expect(status.stdout.contains("output 'hero.jpeg' modified by hand"), "\(status)")

        let r = try await ws.build(["--json", "-k"])
        #expect(r.status == 1, "\(r)")
        #expect(try ws.dir.text("build/hero.jpeg") == "my own retouch")
        #expect(r.requests == 0, "\(r)")
        let message = try r.events(named: "target_failed").first { $0["target"] as? String == "hero" }?["message"] as? String ?? ""
        #expect(message == "hero: 'build/hero.jpeg' was changed by hand since assetbuild wrote it, so it is left untouched: to keep "
                + "your version, move it elsewhere (or give 'hero' an 'output:' elsewhere); to discard it, delete it; then "
                + "build again; the images are kept in the cache, so the next build sends no request for them", "\(message)")

        // Inputs changed too: refused before sending, so nothing is paid for.
        try ws.dir.edit("assetbuild.yaml", replacing: "A lighthouse at dusk", with: "A lighthouse at dawn")
        let changed = try await ws.build(["--json", "-k"])
        #expect(changed.status == 1, "\(changed)")
        #expect(changed.requests == 0, "\(changed)")
        #expect(changed.stdout.contains("nothing was sent for this target"), "\(changed)")
        #expect(try ws.dir.text("build/hero.jpeg") == "my own retouch")

        // Kept, as the message says: moved elsewhere, the build writes the generated image.
        try FileManager.default.moveItem(atPath: ws.dir.url("build/hero.jpeg"), toPath: ws.dir.url("retouch.jpeg"))
        let after = try await ws.buildOK()
        #expect(after.requests == 1, "\(after)")
        #expect(try ws.dir.text("retouch.jpeg") == "my own retouch")
        #expect(ws.dir.exists("build/hero.jpeg"))
    }

    @Test("a hand-edited output discarded by deleting it is restored with no request")
    func handEditDiscarded() async throws {
        let (ws, _, id) = try await Self.built()
        try ws.dir.write("scribble", to: "build/hero.jpeg")
        let refused = try await ws.build(["-k"])
        #expect(refused.status == 1, "\(refused)")
        try ws.dir.remove("build/hero.jpeg")
        let r = try await ws.buildOK()
        #expect(r.requests == 0, "\(r)")
        #expect(try ws.dir.sha256("build/hero.jpeg") == id.hex)
    }
}
