import FakeArk
import Foundation
import Testing
@testable import AssetBuildCore

/// `{url: …, pin: true}`: the URL is downloaded once, the target is keyed by those bytes and sends
/// them; later builds download nothing; `--repin` downloads again and rebuilds only on a change.
@Suite("Ark end to end: pinned URL references")
struct ArkEndToEndPinTests {
    static func manifest(url: String, pin: Bool = true) -> String {
        """
        version: 1
        provider: {name: ark}
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720, watermark: false}
        targets:
          scene:
            prompt: "The cat from image 1 on a sofa"
            references: [{url: "\(url)", pin: \(pin)}]
          other:
            prompt: "A teapot"

        """
    }

    /// A scene whose manifest pins a cat picture the fake serves: the scene, the bytes, the URL.
    func withPinnedCat(_ body: (ArkScene, Data, String) async throws -> Void) async throws {
        try await withArk(Self.manifest(url: "https://example.invalid/cat.png")) { s in
            let first = try s.writePNG("cat.png", colour: 1)
            let url = s.fake.serveStatic("cat.png", first)
            try s.writeManifest(Self.manifest(url: url))
            try await body(s, first, url)
        }
    }

    @Test("downloaded once, keyed and sent by its bytes; --repin rebuilds only when they changed")
    func pinnedOnce() async throws {
        try await withPinnedCat { s, first, url in

            let plan = try await s.run(["plan"])
            #expect(plan.stdout.contains("pinned URL \(url) is not downloaded yet"), "\(plan)")
            #expect(s.fake.staticRequests.isEmpty, "plan downloads nothing")

            try await s.buildOK()
            #expect(s.fake.staticRequests.count == 1)
            let body = try #require(s.generationBodies.first { $0["prompt"]?.string?.contains("cat") == true })
            let sent = try #require(body["image"]?.string.flatMap(decodeDataURI))
            #expect(sent.format == "png" && sent.bytes == first, "the pinned bytes are sent, not the URL")

            // Nothing downloaded again, nothing rebuilt; a change behind the URL goes unnoticed
            // until --repin (that is what pinning means).
            let second = try s.writePNG("cat.png", colour: 2)
            s.fake.serveStatic("cat.png", second)
            let again = try await s.buildOK(["-B", "other"])
            #expect(s.fake.staticRequests.count == 1)
            #expect(try again.startedTargets() == ["other"])

            let repinned = try await s.buildOK(["--repin"])
            #expect(s.fake.staticRequests.count == 2)
            #expect(try repinned.startedTargets() == ["scene"])
            #expect(repinned.output.contains("cat.png changed: its targets rebuild"), "\(repinned)")
            let latest = try #require(s.generationBodies.last?["image"]?.string.flatMap(decodeDataURI))
            #expect(latest.bytes == second)

            // The same bytes again: a download, no request.
            let same = try await s.buildOK(["--repin"])
            #expect(s.fake.staticRequests.count == 3)
            #expect(try same.startedTargets().isEmpty)
        }
    }

    @Test("assetbuild.lock records each pin: a fresh clone must find the same bytes behind the URL, or --repin")
    func lockedPins() async throws {
        try await withPinnedCat { s, first, url in
            try await s.buildOK()
            let lock = try String(decoding: s.dir.read("assetbuild.lock"), as: UTF8.self)
            #expect(lock.contains("pins:\n  \"\(url)\": \(SHA256.hash(first).hex)"), "\(lock)")
            let sent = s.fake.generationRequests.count

            // A fresh clone: outputs and lock committed, no cache. The same bytes: nothing is paid for.
            try FileManager.default.removeItem(atPath: s.dir.url(".assetbuild"))
            let clone = try await s.buildOK()
            #expect(s.fake.generationRequests.count == sent)
            #expect(try clone.startedTargets().isEmpty)

            // Other bytes behind the URL: refused, not silently paid for.
            try FileManager.default.removeItem(atPath: s.dir.url(".assetbuild"))
            let other = try s.writePNG("cat.png", colour: 3)
            s.fake.serveStatic("cat.png", other)
            let refused = try await s.build(["-k"])
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.output.contains("is no longer the image assetbuild.lock pinned"), "\(refused)")
            #expect(s.fake.generationRequests.count == sent)
            // --repin accepts them: the target rebuilds and the lock moves on.
            let repinned = try await s.buildOK(["--repin"])
            #expect(try repinned.startedTargets() == ["scene"])
            let relocked = try String(decoding: s.dir.read("assetbuild.lock"), as: UTF8.self)
            #expect(relocked.contains(SHA256.hash(other).hex))
        }
    }

    @Test("a pinned URL that cannot be downloaded fails its target clearly; nothing is sent for it")
    func unreachable() async throws {
        try await withArk(Self.manifest(url: "https://example.invalid/cat.png")) { s in
            let url = s.fake.serveStatic("missing.png", nil)
            try s.writeManifest(Self.manifest(url: url))
            let r = try await s.build(["-k"])
            #expect(r.status == 1, "\(r)")
            #expect(r.output.contains("pinned URL \(url) could not be downloaded: HTTP 404"), "\(r)")
            #expect(s.generationBodies.allSatisfy { $0["prompt"]?.string?.contains("cat") != true })
            #expect(s.generationBodies.count == 1, "the other target is built")
            // A page that is not an image is refused too, not sent as a reference.
            s.fake.serveStatic("missing.png", Data("<html>moved</html>".utf8))
            let html = try await s.build(["-k"])
            #expect(html.status == 1 && html.output.contains("not a usable image"), "\(html)")
            #expect(s.generationBodies.count == 1)
        }
    }

    @Test("an unpinned URL is sent as written and keyed by its text")
    func unpinnedURL() async throws {
        try await withArk(Self.manifest(url: "https://cdn.example.com/cat.png", pin: false)) { s in
            try await s.buildOK()
            let body = try #require(s.generationBodies.first { $0["prompt"]?.string?.contains("cat") == true })
            #expect(body["image"]?.string == "https://cdn.example.com/cat.png")
            #expect(s.fake.staticRequests.isEmpty)
        }
    }
}
