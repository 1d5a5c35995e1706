import FakeArk
import Foundation
import Testing
@testable import AssetBuildCore

/// The real binary against the fake Ark server: paid images whose download fails, answers with
/// more images than asked, caps that retrying cannot lift, and streams in the SSE spec's other shapes.
@Suite("Ark end to end: downloads, caps and odd streams")
struct ArkEndToEndDownloadTests {
    static let linked = """
    version: 1
    targets:
      poster:
        model: doubao-seedream-4-0-250828
        prompt: "A red fox in the snow"
        size: 1K
        response_format: url

    """

    @Test("a download that fails once is retried by itself: one POST, the image arrives")
    func downloadFailsOnce() async throws {
        try await withArk(Self.linked) { s in
            s.fake.enqueueDownload(.status(503))
            let r = try await s.buildOK()
            #expect(s.fake.generationRequests.count == 1, "the paid image was generated again")
            #expect(s.fake.downloadRequests.count == 2)
            #expect(try r.events(named: "retrying").isEmpty, "no generation was retried: \(r)")
            #expect(try ImageProbe.probe(try s.dir.read("build/poster.jpeg")).format == .jpeg)
        }
    }

    @Test("a download that always fails: one POST, four GETs, a message naming the host and what to do")
    func downloadFailsAlways() async throws {
        try await withArk(Self.linked, { $0.downloadFault = .status(503) }) { s in
            let r = try await s.build()
            #expect(r.status == 1, "\(r)")
            #expect(s.fake.generationRequests.count == 1, "the paid image must not be generated again in this build")
            #expect(s.fake.downloadRequests.count == 4)
            let line = try #require(r.stderr.split(separator: "\n").first { $0.contains("error: poster") }, "\(r)")
            #expect(line.contains("image generated but not downloaded"), "\(line)")
            #expect(line.contains("image 1 was generated but could not be downloaded from 127.0.0.1"), "\(line)")
            #expect(line.contains("HTTP 503") && line.contains("billed") && line.contains("then build again"), "\(line)")
            #expect(!line.contains("X-Tos-Signature") && !r.output.contains(s.key), "\(line)")
            #expect(!s.dir.exists("build/poster.jpeg"))
        }
    }

    @Test("a web page where the image should be is not saved as poster.jpeg")
    func htmlInsteadOfImage() async throws {
        try await withArk(Self.linked, { $0.downloadFault = .html }) { s in
            let r = try await s.build()
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.contains("not an image"), "\(r)")
            #expect(s.fake.generationRequests.count == 1 && s.fake.downloadRequests.count == 1)
            #expect(!s.dir.exists("build/poster.jpeg"))
        }
    }

    @Test("429 QuotaExceeded is not retried and points at the console; ServerOverloaded is retried")
    func quotaVersusOverload() async throws {
        try await withArk(Self.linked) { s in
            s.fake.enqueue(.status(429, code: "QuotaExceeded", message: "The request quota of the account is exceeded."))
            let r = try await s.build()
            #expect(r.status == 1, "\(r)")
            #expect(s.fake.generationRequests.count == 1, "a quota is not lifted by retrying: \(r)")
            #expect(r.stderr.contains("QuotaExceeded") && r.stderr.contains("spend limit in the Ark console"), "\(r)")
            #expect(!r.stderr.contains("lower provider.rate_limits"), "\(r)")

            s.fake.enqueue(.status(429, code: "ServerOverloaded", message: "The service is overloaded."))
            let ok = try await s.buildOK()
            #expect(s.fake.generationRequests.count == 3)
            let retry = try #require(try ok.events(named: "retrying").first, "\(ok)")
            #expect((retry["reason"] as? String)?.contains("try again later") == true, "\(retry)")
        }
    }

    @Test("a refused reference image is named in the message")
    func refusedReferenceIsNamed() async throws {
        let manifest = """
        version: 1
        targets:
          hero:
            model: doubao-seedream-4-0-250828
            prompt: "The fox from image 1 as a hero"
            references: [refs/fox.png]
            size: 1K

        """
        try await withArk(manifest) { s in
            try s.writePNG("refs/fox.png")
            s.fake.enqueue(.status(400, code: "InputImageSensitiveContentDetected",
                                   message: "The request failed because the input image may contain sensitive information."))
            let r = try await s.build()
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.contains("the reference image 'refs/fox.png' was refused by moderation: replace it"), "\(r)")
            #expect(s.fake.generationRequests.count == 1)
        }
    }

    @Test("a group answered with more images than asked keeps exactly the declared outputs, and says so",
          arguments: [true, false])
    func moreImagesThanAsked(stream: Bool) async throws {
        try await withArk(ArkEndToEndAnswerTests.groupManifest(minImages: nil, stream: stream ? nil : false),
                          { $0.groupCount = .moreThanAsked(by: 2) }) { s in
            try s.writePNG("refs/fox.png")
            let r = try await s.buildOK()
            #expect(s.fake.generationRequests.count == 1)
            #expect(s.dir.files(under: "build") == ["assetbuild.json", "poses/1.jpeg", "poses/2.jpeg", "poses/3.jpeg", "poses/4.jpeg"])
            let warnings = try r.events(named: "warning").compactMap { $0["message"] as? String }
            #expect(warnings.filter { $0.contains("though only 4 were asked for") }.count == 2, "\(warnings)")
            #expect(warnings.allSatisfy { $0.hasPrefix("poses: ") }, "\(warnings)")
            let entry = try #require(try s.record()["poses"])
            #expect((entry["outputs"] as? [[String: Any]])?.count == 4)
            // Complete as declared: a no-op next time.
            let again = try await s.buildOK()
            #expect(try again.summary("requests") == 0)
        }
    }

    @Test("a stream with multi-line data, id, retry and unknown fields, both created fields and unreadable events: every image arrives, the unreadable ones are warned about")
    func sseSpecShapes() async throws {
        try await withArk(ArkEndToEndAnswerTests.groupManifest(minImages: nil), {
            $0.sseSpecExtras = true
            $0.createdField = .both
            $0.unreadableEvents = true
        }) { s in
            try s.writePNG("refs/fox.png")
            let r = try await s.buildOK()
            #expect(s.generationBodies.first?["stream"]?.bool == true)
            #expect(s.dir.files(under: "build") == ["assetbuild.json", "poses/1.jpeg", "poses/2.jpeg", "poses/3.jpeg", "poses/4.jpeg"])
            let warnings = try r.events(named: "warning").compactMap { $0["message"] as? String }
            #expect(warnings.contains { $0.contains("could not be read") }, "\(warnings)")
            #expect(warnings.contains { $0.contains("without data.type") }, "\(warnings)")
        }
    }

    @Test("images billed but never sent: a warning says how many may be lost")
    func lostImagesAreWarnedAbout() async throws {
        try await withArk(ArkEndToEndAnswerTests.groupManifest(minImages: 3), { $0.lostImageEvents = [2] }) { s in
            try s.writePNG("refs/fox.png")
            let r = try await s.build()
            #expect(r.status == 0, "\(r)")
            #expect(r.output.contains("poses: the service billed 4 image(s) but 3 arrived (possible lost images"), "\(r)")
        }
    }
}
