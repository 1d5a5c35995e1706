import FakeArk
import Foundation
import Testing
@testable import AssetBuildCore

/// The real binary against the fake's hostile modes (issue 14 items 6–9, 14, 17): every mode ends
/// in a clear exit status and message, and the fake's request log shows that no paid image is
/// lost or bought twice: a failed group keeps what arrived and the next build asks only for the
/// missing places.
@Suite("Ark end to end: hostile answers") struct ArkEndToEndHostileTests {
    static func group(stream: Bool, format: String = "b64_json") -> String {
        """
        version: 1
        targets:
          poses:
            model: doubao-seedream-4-0-250828
            prompt: "Three images of a fox: running, sleeping, jumping"
            images: 3
            size: 1K
            stream: \(stream)
            response_format: \(format)

        """
    }

    /// `max_images` of each generation request (1 for a single-image request).
    static func asked(_ s: ArkScene) -> [Int] {
        s.generationBodies.map { $0["sequential_image_generation_options"]?["max_images"]?.int ?? 1 }
    }

    @Test("a bad stream image_index fails the target keeping what arrived; the next build asks only for the rest",
          arguments: [(FakeArkBehavior.BadImageIndex.negative, 2), (.beyond, 2), (.repeated, 1)])
    func badIndex(_ mode: FakeArkBehavior.BadImageIndex, kept: Int) async throws {
        try await withArk(Self.group(stream: true), { $0.badImageIndex = mode; $0.answerSize = (64, 64) }) { s in
            let r = try await s.build(["--json"])
            #expect(r.status == 1, "\(r)")
            #expect(r.output.contains("image_index"), "\(r)")
            #expect(!r.output.contains("done (3 images)"), "\(r)")
            #expect(s.dir.files(under: "build").filter { $0.hasSuffix(".jpeg") }.count == kept, "\(s.dir.files(under: "build"))")
            s.fake.configure { $0.badImageIndex = nil }
            try await s.buildOK()
            #expect(Self.asked(s) == [3, 3 - kept], "only the missing places are bought again")
            #expect(s.dir.files(under: "build") == ["assetbuild.json", "poses/1.jpeg", "poses/2.jpeg", "poses/3.jpeg"])
            try await s.buildOK()
            #expect(s.fake.generationRequests.count == 2, "then up to date")
        }
    }

    @Test("a broken image fails that image only: the others are kept and the next build buys just it",
          arguments: [FakeArkBehavior.BrokenImage.truncated, .bareHeader, .gif, .bomb])
    func brokenImage(_ broken: FakeArkBehavior.BrokenImage) async throws {
        try await withArk(Self.group(stream: false), {
            $0.brokenImages = broken
            $0.brokenImageIndexes = [1]
            $0.answerSize = (64, 64)
        }) { s in
            let r = try await s.build(["--json"])
            #expect(r.status == 1, "\(r)")
            #expect(r.output.contains("image 2 is "), "\(r)")
            let failed = try r.events(named: "image_failed")
            #expect(failed.map { $0["code"] as? String } == [GeneratedImage.refusedCode], "\(failed)")
            #expect(s.dir.files(under: "build").filter { $0.hasSuffix(".jpeg") } == ["poses/1.jpeg", "poses/3.jpeg"])
            s.fake.configure { $0.brokenImages = nil }
            try await s.buildOK()
            #expect(Self.asked(s) == [3, 1])
            for n in 1...3 { #expect(try ImageVerifier.verify(try s.dir.read("build/poses/\(n).jpeg")).format == .jpeg) }
        }
    }

    @Test("a PNG where a JPEG was promised is kept as a JPEG, with its own size recorded", arguments: ["b64_json", "url"])
    func pngConverted(_ format: String) async throws {
        try await withArk(Self.group(stream: false, format: format), { $0.brokenImages = .png; $0.answerSize = (48, 32) }) { s in
            let r = try await s.buildOK()
            #expect(r.output.contains("converted to JPEG"), "\(r)")
            #expect(s.fake.generationRequests.count == 1)
            for n in 1...3 {
                #expect(try ImageVerifier.verify(try s.dir.read("build/poses/\(n).jpeg")) == ImageInfo(format: .jpeg, width: 48, height: 32))
            }
            let outputs = try #require(try s.record()["poses"]?["outputs"] as? [[String: Any]])
            #expect(outputs.allSatisfy { $0["width"] as? Int == 48 && $0["height"] as? Int == 32 }, "\(outputs)")
        }
    }

    @Test("a valid answer under the wrong Content-Type is read, not bought again",
          arguments: [(FakeArkBehavior.WrongContentType.jsonAsHTML, false), (.streamAsJSON, true), (.jsonForStream, true),
                      (.streamForJSON, false), (.jsonInStream, true)])
    func wrongContentType(_ mode: FakeArkBehavior.WrongContentType, stream: Bool) async throws {
        try await withArk(Self.group(stream: stream), { $0.wrongContentType = mode; $0.answerSize = (64, 64) }) { s in
            let r = try await s.buildOK()
            #expect(s.fake.generationRequests.count == 1)
            #expect(s.dir.files(under: "build").filter { $0.hasSuffix(".jpeg") }.count == 3)
            #expect(!r.output.contains("connection"), "\(r)")
        }
    }

    @Test("an answer larger than any real one fails with the limit it hit, and is not asked again", arguments: [false, true])
    func hugeAnswer(stream: Bool) async throws {
        try await withArk(Self.group(stream: stream), { $0.hugeAnswerBytes = 400 << 20 }) { s in
            let r = try await s.build()
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.contains("larger than any real answer"), "\(r)")
            #expect(r.stderr.contains(" bytes; the limit allows"), "\(r)")
            #expect(s.fake.generationRequests.count == 1)
        }
    }

    @Test("a plain request that gets no answer after it was sent is reported as maybe billed and not sent again")
    func timeoutAfterSending() async throws {
        try await withArk(Self.group(stream: false)) { s in
            s.fake.enqueue(.hang)
            // The stall timeout injected from outside (1 s), so the test waits seconds, not minutes.
            let r = try await s.ws.run(["build", "--provider", "ark"],
                                       environment: s.environment().merging(["ASSETBUILD_STALL_TIMEOUT": "1"]) { $1 })
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.contains("after the request was sent"), "\(r)")
            #expect(r.stderr.contains("may still have generated and billed it, so it was not sent again"), "\(r)")
            #expect(!r.output.contains("retry:"), "\(r)")
            // Never sent twice. (Once the client has sent the body it gives up after the 1 s stall;
            // on a loaded machine the fake may not have read the whole body by then, and a request
            // it never read whole is not recorded, so the count may be 0 but never more than 1.)
            #expect(s.fake.generationRequests.count <= 1)
        }
    }

    @Test("a stream that ends after its completed event without [DONE] is whole, with its usage recorded")
    func completedWithoutDone() async throws {
        try await withArk(Self.group(stream: true), { $0.answerSize = (64, 64) }) { s in
            s.fake.enqueue(.streamWithoutDone)
            try await s.buildOK()
            let usage = try #require(try s.record()["poses"]?["usage"] as? [String: Any])
            #expect(usage["generated_images"] as? Int == 3, "\(usage)")
            #expect(s.fake.generationRequests.count == 1)
        }
    }

    static let story = """
        version: 1
        targets:
          story:
            kind: text
            prompt: "A one-line story about a fox"

        """

    @Test("a text reply that stopped early or is empty fails the target with the reason, and is not cached",
          arguments: [("length", "finish_reason 'length'"), ("content_filter", "finish_reason 'content_filter'"),
                      ("stop", "it is empty")])
    func textStoppedEarly(_ reason: String, _ words: String) async throws {
        try await withArk(Self.story, {
            $0.chatFinishReason = reason
            $0.chatContent = reason == "stop" ? " " : "Once upon a"
        }) { s in
            let r = try await s.build()
            #expect(r.status == 1, "\(r)")
            #expect(r.stderr.contains(words), "\(r)")
            #expect(!s.dir.exists("build/story.json"))
            #expect(s.fake.chatRequests.count == 1)
            s.fake.configure { $0.chatFinishReason = "stop"; $0.chatContent = #"{"story":"A fox ran home."}"# }
            try await s.buildOK()
            #expect(try String(decoding: s.dir.read("build/story.json"), as: UTF8.self).contains("A fox ran home."))
        }
    }
}
