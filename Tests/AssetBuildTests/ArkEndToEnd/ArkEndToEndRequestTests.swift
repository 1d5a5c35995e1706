import FakeArk
import Foundation
import Testing
@testable import AssetBuildCore

/// The real binary against the fake Ark server: exactly what each kind of target puts on the wire.
@Suite("Ark end to end: request bodies and headers")
struct ArkEndToEndRequestTests {
    @Test("text to image on 4.5: exactly model, prompt, size, watermark, response_format; the SDK's headers; the reported pixels")
    func textToImage() async throws {
        // The provider comes from the manifest here (no --provider).
        let manifest = """
        version: 1
        provider: {name: ark}
        targets:
          poster:
            model: doubao-seedream-4-5-251128
            prompt: "A red fox in the snow, flat vector"
            size: 2048x2048

        """
        try await withArk(manifest) { s in
            let r = try await s.run(["build", "--json"])
            #expect(r.status == 0, "\(r)")
            #expect(s.fake.requests.count == 1)
            let request = try #require(s.fake.generationRequests.first)
            #expect(request.method == "POST" && request.path == "/api/v3/images/generations")

            let body = try #require(request.json)
            #expect(body.keys == ["model", "prompt", "response_format", "size", "watermark"], "\(body)")
            #expect(!body.containsNull)
            #expect(body["model"]?.string == "doubao-seedream-4-5-251128")
            #expect(body["prompt"]?.string == "A red fox in the snow, flat vector")
            #expect(body["size"]?.string == "2048x2048")
            #expect(body["watermark"]?.bool != nil)
            #expect(body["response_format"]?.string == "b64_json")

            #expect(request.header("Authorization") == "Bearer \(s.key)")
            #expect(request.header("Content-Type") == "application/json")
            #expect(request.header("Accept") == "application/json")
            #expect(request.header("User-Agent") == "assetbuild/\(AssetBuildVersion.current)", "\(request.headers)")
            let clientID = try #require(request.header("X-Client-Request-Id"))
            #expect(clientID.wholeMatch(of: /\d{14}[A-Za-z0-9]{20}/) != nil, "\(clientID)")

            let (w, h) = try s.pixels("build/poster.jpeg")
            #expect(w == 2048 && h == 2048)
            let entry = try #require(try s.record()["poster"])
            let output = try #require((entry["outputs"] as? [[String: Any]])?.first)
            #expect(output["path"] as? String == "poster.jpeg")
            #expect(output["width"] as? Int == 2048 && output["height"] as? Int == 2048)
            #expect(output["sha256"] as? String == (try s.dir.sha256("build/poster.jpeg")))
            #expect(entry["provider"] as? String == "ark")
        }
    }

    @Test("a preset size: the file has the pixels the service reported (1760x2368 for 2K), not a table's")
    func presetTakesReportedPixels() async throws {
        let manifest = """
        version: 1
        targets:
          poster:
            model: doubao-seedream-4-5-251128
            prompt: "A red fox in the snow"
            size: 2K

        """
        try await withArk(manifest, { $0.answerSize = (1760, 2368) }) { s in
            let r = try await s.buildOK()
            #expect(s.generationBodies.first?["size"]?.string == "2K")
            let received = try r.events(named: "image_received").first
            #expect(received?["width"] as? Int == 1760 && received?["height"] as? Int == 2368, "\(r)")
            let (w, h) = try s.pixels("build/poster.jpeg")
            #expect(w == 1760 && h == 2368)
            let output = try #require((try s.record()["poster"]?["outputs"] as? [[String: Any]])?.first)
            #expect(output["width"] as? Int == 1760 && output["height"] as? Int == 2368)
        }
    }

    @Test("image to image with a file: `image` is one data URI string, lowercase format, of the file's exact bytes")
    func imageToImageWithFile() async throws {
        let manifest = """
        version: 1
        targets:
          spring:
            prompt: "The fox from image 1 in a spring meadow"
            references: [refs/fox.png]
            size: 2K
          owl:
            prompt: "The owl from image 1 at night"
            references: [refs/Owl.JPG]
            size: 2K
          cat:
            prompt: "The cat from image 1 on a roof"
            references: [refs/cat.jpg]
            size: 2K

        """
        // Strict: the fake refuses an uppercase format or one that does not match the bytes.
        try await withArk(manifest, { $0.dataURIs = .strict }) { s in
            let png = try s.writePNG("refs/fox.png", width: 80, height: 64, colour: 3)
            let jpeg = try s.writeJPEG("refs/Owl.JPG")
            let mislabelled = try s.writePNG("refs/cat.jpg", colour: 5)   // PNG bytes, .jpg name
            try await s.buildOK()
            #expect(s.fake.generationRequests.count == 3)
            for body in s.generationBodies {
                let image = try #require(body["image"])
                let uri = try #require(image.string, "one reference is one string, not an array: \(image)")
                let decoded = try #require(decodeDataURI(uri))
                let prompt = body["prompt"]?.string ?? ""
                if prompt.contains("fox") {
                    #expect(uri.hasPrefix("data:image/png;base64,"))
                    #expect(decoded.bytes == png)
                } else if prompt.contains("owl") {
                    #expect(uri.hasPrefix("data:image/jpeg;base64,"), "\(uri.prefix(40))")
                    #expect(decoded.bytes == jpeg)
                } else {
                    #expect(uri.hasPrefix("data:image/png;base64,"), "the format is the bytes', not the name's: \(uri.prefix(40))")
                    #expect(decoded.bytes == mislabelled)
                }
                #expect(body["sequential_image_generation"] == nil && body["stream"] == nil)
                #expect(!body.containsNull)
            }
        }
    }

    @Test("fusion of 14 references, files and https URLs mixed: an array of 14 in manifest order, URLs as given")
    func fourteenReferences() async throws {
        var refs: [String] = []
        for i in 0..<14 {
            refs.append(i % 2 == 0 ? "refs/r\(i).png" : "\"https://cdn.example.com/assets/r\(i).png?sig=ab\(i)&exp=99\"")
        }
        let manifest = """
        version: 1
        targets:
          fusion:
            prompt: "One scene combining the subjects of all the images"
            references: [\(refs.joined(separator: ", "))]
            size: 2K

        """
        try await withArk(manifest) { s in
            var files: [Int: Data] = [:]
            for i in stride(from: 0, to: 14, by: 2) { files[i] = try s.writePNG("refs/r\(i).png", colour: i) }
            try await s.buildOK()
            #expect(s.fake.generationRequests.count == 1)
            let body = try #require(s.generationBodies.first)
            let images = try #require(body["image"]?.array)
            #expect(images.count == 14)
            for (i, item) in images.enumerated() {
                let value = try #require(item.string)
                if let bytes = files[i] {
                    #expect(decodeDataURI(value)?.bytes == bytes, "image \(i)")
                    #expect(value.hasPrefix("data:image/png;base64,"))
                } else {
                    #expect(value == "https://cdn.example.com/assets/r\(i).png?sig=ab\(i)&exp=99", "image \(i)")
                }
            }
            #expect(body["sequential_image_generation"] == nil)
            #expect(s.dir.exists("build/fusion.jpeg"))
        }
    }

    @Test("a group of 4 from one reference: auto, max_images 4, streamed by default; build/<name>/1..4.jpeg")
    func groupOfFour() async throws {
        let manifest = ArkEndToEndAnswerTests.groupManifest(minImages: nil)
        try await withArk(manifest) { s in
            let png = try s.writePNG("refs/fox.png")
            let r = try await s.buildOK()
            #expect(s.fake.generationRequests.count == 1)
            let request = try #require(s.fake.generationRequests.first)
            let body = try #require(request.json)
            #expect(body["sequential_image_generation"]?.string == "auto")
            #expect(body["sequential_image_generation_options"]?.keys == ["max_images"])
            #expect(body["sequential_image_generation_options"]?["max_images"]?.int == 4)
            #expect(body["stream"]?.bool == true)
            #expect(body["image"]?.string.flatMap(decodeDataURI)?.bytes == png)
            #expect(body.keys == ["image", "model", "prompt", "response_format", "sequential_image_generation",
                                  "sequential_image_generation_options", "size", "stream", "watermark"])
            #expect(request.header("Accept") == "text/event-stream")
            #expect(s.dir.files(under: "build") == ["assetbuild.json", "poses/1.jpeg", "poses/2.jpeg", "poses/3.jpeg", "poses/4.jpeg"])
            for n in 1...4 {
                let (w, h) = try s.pixels("build/poses/\(n).jpeg")
                #expect(w == 1024 && h == 1024, "poses/\(n).jpeg")
            }
            #expect(try r.events(named: "image_received").count == 4)
            // The four are different pictures.
            #expect(Set(try (1...4).map { try s.dir.sha256("build/poses/\($0).jpeg") }).count == 4)
        }
    }

    @Test("optimize_prompt fast on 4.0 goes as optimize_prompt_options.mode; watermark true and false are both explicit")
    func optimizePromptAndWatermark() async throws {
        let manifest = """
        version: 1
        defaults: {model: doubao-seedream-4-0-250828, size: 1K}
        targets:
          marked:
            prompt: "A lighthouse at dusk"
            optimize_prompt: fast
            watermark: true
          clean:
            prompt: "A lighthouse at dawn"
            watermark: false

        """
        try await withArk(manifest) { s in
            try await s.buildOK()
            let bodies = Dictionary(uniqueKeysWithValues: s.generationBodies.map { ($0["prompt"]?.string ?? "", $0) })
            let marked = try #require(bodies["A lighthouse at dusk"])
            let clean = try #require(bodies["A lighthouse at dawn"])
            #expect(marked["optimize_prompt_options"]?.keys == ["mode"])
            #expect(marked["optimize_prompt_options"]?["mode"]?.string == "fast")
            #expect(marked.object?["watermark"] == .bool(true))
            #expect(clean.object?["watermark"] == .bool(false))
            #expect(clean["optimize_prompt_options"] == nil)
            #expect(marked.object?["optimize_prompt"] == nil && clean.object?["optimize_prompt"] == nil)
            for body in [marked, clean] {
                #expect(!body.containsNull)
                #expect(body["seed"] == nil && body["guidance_scale"] == nil)
            }
        }
    }

    @Test("3.0 models: seed and guidance_scale sent, no group or stream fields, pixels from the JPEG header")
    func legacyModels() async throws {
        let manifest = """
        version: 1
        targets:
          legacy:
            model: doubao-seedream-3-0-t2i-250415
            prompt: "An old-style robot"
            size: 1024x1024
            seed: 42
            guidance_scale: 2.5
          edit:
            model: doubao-seededit-3-0-i2i-250628
            prompt: "Make the sky purple"
            references: [refs/photo.png]
            size: adaptive
            seed: 7
            guidance_scale: 5.5

        """
        try await withArk(manifest) { s in
            let png = try s.writePNG("refs/photo.png", width: 96, height: 64)
            let r = try await s.buildOK()
            #expect(s.fake.generationRequests.count == 2)
            let bodies = Dictionary(uniqueKeysWithValues: s.generationBodies.map { ($0["model"]?.string ?? "", $0) })

            let legacy = try #require(bodies["doubao-seedream-3-0-t2i-250415"])
            #expect(legacy.keys == ["guidance_scale", "model", "prompt", "response_format", "seed", "size", "watermark"])
            #expect(legacy["seed"]?.int == 42 && legacy["guidance_scale"]?.double == 2.5)
            #expect(legacy["size"]?.string == "1024x1024")

            let edit = try #require(bodies["doubao-seededit-3-0-i2i-250628"])
            #expect(edit.keys == ["guidance_scale", "image", "model", "prompt", "response_format", "seed", "size", "watermark"])
            #expect(edit["seed"]?.int == 7 && edit["guidance_scale"]?.double == 5.5)
            #expect(edit["size"]?.string == "adaptive")
            #expect(edit["image"]?.string.flatMap(decodeDataURI)?.bytes == png)
            for body in [legacy, edit] {
                #expect(body["sequential_image_generation"] == nil && body["sequential_image_generation_options"] == nil)
                #expect(body["stream"] == nil && body["optimize_prompt_options"] == nil)
                #expect(!body.containsNull)
            }

            // 3.0 answers carry no `size`: the record and the events hold the JPEG header's pixels.
            let adaptive = ModelCatalog.seededitAdaptiveSize(width: 96, height: 64)
            let expected = ["legacy": (1024, 1024), "edit": (adaptive.width, adaptive.height)]
            let record = try s.record()
            for (name, size) in expected {
                let (w, h) = try s.pixels("build/\(name).jpeg")
                #expect(w == size.0 && h == size.1, "\(name): \(w)x\(h)")
                let output = try #require((record[name]?["outputs"] as? [[String: Any]])?.first)
                #expect(output["width"] as? Int == size.0 && output["height"] as? Int == size.1, "\(name)")
                let event = try r.events(named: "image_received").first { $0["target"] as? String == name }
                #expect(event?["width"] as? Int == size.0 && event?["height"] as? Int == size.1, "\(name)")
            }
        }
    }
}
