import FakeArk
import Foundation
import Testing
@testable import AssetBuildCore

/// The real binary against the fake Ark server: what it makes of the answers: partial groups,
/// URLs to download, and errors.
@Suite("Ark end to end: answers, partial groups and errors")
struct ArkEndToEndAnswerTests {
    static func groupManifest(minImages: Int?, stream: Bool? = nil) -> String {
        """
        version: 1
        targets:
          poses:
            model: doubao-seedream-4-0-250828
            prompt: "Four images of the fox from image 1: running, sleeping, jumping, eating"
            references: [refs/fox.png]
            images: 4
            size: 1K
        \(minImages.map { "    min_images: \($0)\n" } ?? "")\(stream.map { "    stream: \($0)\n" } ?? "")
        """
    }

    @Test("a group with image 2 refused by moderation, streamed or not: with min_images 3 it succeeds and records the failure",
          arguments: [true, false])
    func moderatedImageWithinMinimum(stream: Bool) async throws {
        try await withArk(Self.groupManifest(minImages: 3, stream: stream ? nil : false), { $0.moderatedImages = [1] }) { s in
            try s.writePNG("refs/fox.png")
            let r = try await s.buildOK()
            #expect(s.fake.generationRequests.count == 1)
            #expect(s.generationBodies.first?["stream"]?.bool == (stream ? true : nil))
            #expect(s.dir.files(under: "build") == ["assetbuild.json", "poses/1.jpeg", "poses/3.jpeg", "poses/4.jpeg"])
            let failed = try r.events(named: "image_failed")
            #expect(failed.count == 1)
            #expect(failed.first?["index"] as? Int == 2)
            #expect(failed.first?["code"] as? String == "OutputImageSensitiveContentDetected")

            let entry = try #require(try s.record()["poses"])
            let failures = try #require(entry["failures"] as? [[String: Any]], "\(entry)")
            #expect(failures.count == 1)
            #expect(failures.first?["code"] as? String == "OutputImageSensitiveContentDetected")
            #expect(failures.first?["image"] as? Int == 2, "1-based in the record, like the file names: \(failures)")
            #expect((entry["outputs"] as? [[String: Any]])?.compactMap { $0["path"] as? String }
                    == ["poses/1.jpeg", "poses/3.jpeg", "poses/4.jpeg"])
            #expect((entry["usage"] as? [String: Any])?["generated_images"] as? Int == 3, "\(entry)")

            // Accepted as it is: a rebuild from scratch restores the same three from the cache.
            let hashes = try s.ws.outputHashes()
            try s.dir.remove("build")
            let restored = try await s.buildOK()
            #expect(try restored.summary("requests") == 0 && restored.summary("restored") == 1)
            #expect(try s.ws.outputHashes() == hashes)
            #expect(s.fake.generationRequests.count == 1)
        }
    }

    @Test("the same group with the default min_images fails, lists the failure, keeps the 3 images; min_images 3 then accepts it with no request")
    func moderatedImageBelowMinimum() async throws {
        try await withArk(Self.groupManifest(minImages: nil), { $0.moderatedImages = [1] }) { s in
            try s.writePNG("refs/fox.png")
            let r = try await s.build()
            #expect(r.status == 1, "\(r)")
            #expect(s.fake.generationRequests.count == 1, "a moderated image is not retried")
            #expect(r.stderr.contains("3 of 4 images arrived; min_images is 4"), "\(r)")
            #expect(r.stderr.contains("image 2: OutputImageSensitiveContentDetected"), "\(r)")
            #expect(r.stderr.contains("poses"), "\(r)")
            // What arrived is materialized all the same.
            #expect(s.dir.exists("build/poses/1.jpeg") && !s.dir.exists("build/poses/2.jpeg"))
            #expect(s.dir.exists("build/poses/3.jpeg") && s.dir.exists("build/poses/4.jpeg"))

            // min_images is not an input of the images: the 3 already paid for now suffice.
            let before = try s.dir.sha256("build/poses/1.jpeg")
            try s.dir.edit("assetbuild.yaml", replacing: "    size: 1K\n", with: "    size: 1K\n    min_images: 3\n")
            let accepted = try await s.buildOK()
            #expect(s.fake.generationRequests.count == 1, "lowering min_images must not send a request")
            #expect(try accepted.summary("requests") == 0)
            #expect(try accepted.startedTargets().isEmpty)
            #expect(try s.dir.sha256("build/poses/1.jpeg") == before)
            let entry = try #require(try s.record()["poses"])
            #expect((entry["outputs"] as? [[String: Any]])?.count == 3)
            #expect((entry["failures"] as? [[String: Any]])?.first?["code"] as? String == "OutputImageSensitiveContentDetected")
        }
    }

    @Test("building again after the refused image asks only for it, and it fills the gap: poses/2.jpeg, not poses/5.jpeg")
    func retryFillsTheRefusedImage() async throws {
        try await withArk(Self.groupManifest(minImages: nil), { $0.moderatedImages = [1] }) { s in
            try s.writePNG("refs/fox.png")
            #expect(try await s.build().status == 1)
            let kept = try ["1", "3", "4"].map { try s.dir.sha256("build/poses/\($0).jpeg") }

            s.fake.configure { $0.moderatedImages = []; $0.jpegQuality = 55 }
            let r = try await s.buildOK()
            #expect(s.fake.generationRequests.count == 2)
            #expect(try r.reasons(for: "poses").contains("last build failed"), "\(r)")
            // Only the missing image is asked for, and it takes the refused image's place.
            #expect(s.generationBodies.last?["sequential_image_generation"] == nil)
            #expect(s.generationBodies.last?["sequential_image_generation_options"] == nil)
            #expect(try r.events(named: "image_received").compactMap { $0["index"] as? Int } == [2])
            #expect(s.dir.files(under: "build") == ["assetbuild.json", "poses/1.jpeg", "poses/2.jpeg", "poses/3.jpeg", "poses/4.jpeg"])
            #expect(try ["1", "3", "4"].map { try s.dir.sha256("build/poses/\($0).jpeg") } == kept)
            let entry = try #require(try s.record()["poses"])
            #expect((entry["outputs"] as? [[String: Any]])?.compactMap { $0["path"] as? String }
                    == ["poses/1.jpeg", "poses/2.jpeg", "poses/3.jpeg", "poses/4.jpeg"])
            #expect((entry["failures"] as? [[String: Any]])?.isEmpty == true, "\(entry)")

            // Complete now: a no-op.
            try await s.buildOK()
            #expect(s.fake.generationRequests.count == 2)
        }
    }

    @Test("a reference to the refused image of an accepted group fails with why; one to a kept image gets that very image")
    func referenceToRefusedImage() async throws {
        let manifest = Self.groupManifest(minImages: 3) + """
          hero:
            model: doubao-seedream-4-0-250828
            prompt: "The fox from image 1 as a hero"
            references: ["poses[2]"]
            size: 1K
          side:
            model: doubao-seedream-4-0-250828
            prompt: "The fox from image 1 on the side"
            references: ["poses[3]"]
            size: 1K

        """
        try await withArk(manifest, { $0.moderatedImages = [1] }) { s in
            try s.writePNG("refs/fox.png")
            let r = try await s.build(["-k"])
            #expect(r.status == 1, "\(r)")
            let line = try #require(r.stderr.split(separator: "\n").first { $0.contains("error: hero") }, "\(r)")
            #expect(line.contains("reference 'poses[2]' names image 2, but image 2 of 'poses' failed: OutputImageSensitiveContentDetected"), "\(line)")
            #expect(line.contains("images 1, 3, 4 arrived"), "\(line)")
            #expect(!line.contains("produced 3 image(s)"), "\(line)")
            #expect(!s.dir.exists("build/hero.jpeg"))
            // poses[3] is the file poses/3.jpeg (the group's third place), not the third image that arrived.
            let side = try #require(s.generationBodies.first { $0["prompt"]?.string?.contains("on the side") == true })
            #expect(side["image"]?.string.flatMap(decodeDataURI)?.bytes == (try s.dir.read("build/poses/3.jpeg")))
            #expect(s.fake.generationRequests.count == 2)

            // Following the advice: min_images 4 asks for the missing image, and hero gets it.
            s.fake.configure { $0.moderatedImages = []; $0.jpegQuality = 55 }
            try s.dir.edit("assetbuild.yaml", replacing: "min_images: 3", with: "min_images: 4")
            let again = try await s.buildOK()
            #expect(try again.startedTargets() == ["poses", "hero"], "\(again)")
            #expect(s.fake.generationRequests.count == 4)
            let hero = try #require(s.generationBodies.last)
            #expect(hero["image"]?.string.flatMap(decodeDataURI)?.bytes == (try s.dir.read("build/poses/2.jpeg")))
            #expect(s.dir.exists("build/hero.jpeg") && !s.dir.exists("build/poses/5.jpeg"))
        }
    }

    @Test("response_format b64_json needs no download; url is downloaded at once, without the Authorization header")
    func base64VersusURL() async throws {
        let manifest = """
        version: 1
        defaults: {model: doubao-seedream-4-0-250828, size: 1K}
        targets:
          inline:
            prompt: "A teapot, inline"
            response_format: b64_json
          linked:
            prompt: "A teapot, linked"
            response_format: url
          linked-pair:
            prompt: "Two images of a teapot, linked"
            images: 2
            response_format: url

        """
        try await withArk(manifest) { s in
            try await s.buildOK()
            let bodies = Dictionary(uniqueKeysWithValues: s.generationBodies.map { ($0["prompt"]?.string ?? "", $0) })
            #expect(bodies["A teapot, inline"]?["response_format"]?.string == "b64_json")
            #expect(bodies["A teapot, linked"]?["response_format"]?.string == "url")
            #expect(bodies["Two images of a teapot, linked"]?["response_format"]?.string == "url")

            let downloads = s.fake.downloadRequests
            #expect(downloads.count == 3, "one GET per linked image: \(downloads.map(\.path))")
            for d in downloads {
                #expect(d.method == "GET")
                #expect(d.header("Authorization") == nil, "the key went to the download host: \(d.headers)")
                #expect(!d.headers.values.contains { $0.contains(s.key) })
                #expect(d.query.contains("X-Tos-Signature="), "the signed query is kept: \(d.query)")
                #expect(d.header("User-Agent") == "assetbuild/\(AssetBuildVersion.current)", "\(d.headers)")
            }
            // Each download came after its generation answer and wrote a real JPEG.
            let firstPost = try #require(s.fake.generationRequests.map(\.receivedAt).min())
            #expect(downloads.allSatisfy { $0.receivedAt > firstPost })
            for path in ["inline.jpeg", "linked.jpeg", "linked-pair/1.jpeg", "linked-pair/2.jpeg"] {
                let (w, h) = try s.pixels("build/" + path)
                #expect(w == 1024 && h == 1024, "\(path)")
            }
        }
    }

    @Test("401 with a wrong key: exit 1, target, status, code, request id and ARK_API_KEY advice; not retried",
          arguments: [false, true])
    func wrongKey(streamedGroup: Bool) async throws {
        let manifest = """
        version: 1
        targets:
          poster:
            prompt: "A red fox in the snow"
            size: 2K
        \(streamedGroup ? "    images: 2\n" : "")
        """
        try await withArk(manifest) { s in
            let r = try await s.build(key: "ark-e2e-wrong-key-0000")
            #expect(r.status == 1, "\(r)")
            #expect(s.fake.requests.count == 1, "a 401 is not retried")
            let line = try #require(r.stderr.split(separator: "\n").first { $0.contains("AuthenticationError") }, "\(r)")
            #expect(line.contains("poster"), "\(line)")
            #expect(line.contains("HTTP 401"), "\(line)")
            #expect(line.contains("ARK_API_KEY"), "\(line)")
            // The request id the fake gave (the service's message ends with it too): said once.
            let id = try #require(line.firstMatch(of: /request id (021\d+[0-9a-f]{16})/)?.1, "\(line)")
            #expect(line.components(separatedBy: String(id)).count == 2, "\(line)")
            #expect(s.fake.generationRequests.first?.json?["stream"]?.bool == (streamedGroup ? true : nil))
            #expect(s.dir.files(under: "build").allSatisfy { $0 == "assetbuild.json" }, "\(s.dir.files(under: "build"))")
        }
    }

    @Test("404 ModelNotOpen: exit 1, says to activate the model in the console; not retried")
    func modelNotOpen() async throws {
        let manifest = """
        version: 1
        targets:
          poster:
            model: doubao-seedream-4-0-250828
            prompt: "A red fox in the snow"
            size: 2K

        """
        try await withArk(manifest, { $0.closedModels = ["doubao-seedream-4-0-250828"] }) { s in
            let r = try await s.build()
            #expect(r.status == 1, "\(r)")
            #expect(s.fake.requests.count == 1, "a 404 is not retried")
            let line = try #require(r.stderr.split(separator: "\n").first { $0.contains("ModelNotOpen") }, "\(r)")
            #expect(line.contains("poster") && line.contains("HTTP 404"), "\(line)")
            #expect(line.contains("activate the model in the Ark console"), "\(line)")
            #expect(line.firstMatch(of: /request id 021\d+[0-9a-f]{16}/) != nil, "\(line)")

            // The same in the --json event, and still a single request per build.
            let json = try await s.build(["--json"])
            #expect(json.status == 1)
            let failed = try #require(try json.events(named: "target_failed").first, "\(json)")
            #expect(failed["target"] as? String == "poster")
            let message = failed["message"] as? String ?? ""
            #expect(message.contains("HTTP 404") && message.contains("ModelNotOpen"), "\(message)")
            #expect(message.contains("activate the model in the Ark console"), "\(message)")
            #expect(s.fake.requests.count == 2)
        }
    }
}
