import Foundation
import Testing
@testable import AssetBuildCore

@Suite struct ImagingDraftArtTests {
    static func spec(width: Int = 512, height: Int = 512, index: Int = 1, count: Int = 1,
                     prompt: String = "A friendly round robot mascot waving. flat vector, teal #0FB5AE and coral #FF6F59",
                     references: [DraftArtReference] = []) -> DraftArtSpec {
        DraftArtSpec(target: "mascot", index: index, count: count, width: width, height: height, prompt: prompt,
                     model: "doubao-seedream-4-5-251128", sizeLabel: "\(width)x\(height)",
                     key: "9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c", references: references)
    }

    static let references = [
        DraftArtReference(label: "mascot", data: ImageFixtures.png(width: 300, height: 300)),
        DraftArtReference(label: "poses[2]", data: ImageFixtures.jpeg(width: 640, height: 360)),
        DraftArtReference(label: "refs/anim.gif", data: ImageFixtures.gif(width: 100, height: 100)),
        DraftArtReference(label: "https://example.com/product.png", data: nil),
    ]

    @Test(arguments: [(720, 1280), (1024, 1024), (2560, 1440), (4096, 256), (256, 4096), (1, 1), (64, 1024), (1024, 64), (33, 17)])
    func renders_exactly_the_requested_size(size: (Int, Int)) throws {
        let data = try DraftArt.render(Self.spec(width: size.0, height: size.1, index: 2, count: 4, references: Self.references))
        #expect(try ImageProbe.probe(data) == ImageInfo(format: .jpeg, width: size.0, height: size.1))
        #expect(data.range(of: Data([0xFF, 0xC0])) != nil && data.range(of: Data([0xFF, 0xC2])) == nil)  // baseline
    }

    @Test func is_deterministic_and_depends_on_index_and_prompt() throws {
        let a = try DraftArt.render(Self.spec(index: 1, count: 3))
        #expect(try DraftArt.render(Self.spec(index: 1, count: 3)) == a)
        #expect(try DraftArt.render(Self.spec(index: 2, count: 3)) != a)
        #expect(try DraftArt.render(Self.spec(index: 1, count: 3, prompt: "something else entirely")) != a)
    }

    @Test func background_comes_from_colours_named_in_the_prompt() throws {
        #expect(DraftPalette.namedColors(in: "teal #0FB5AE and coral, then navy") ==
                [RGBColor(hex: 0x0FA3A0), RGBColor(hex: 0xFF6F59), RGBColor(hex: 0x1A237E)])
        #expect(DraftPalette.namedColors(in: "#0FB5AE then coral") == [RGBColor(hex: 0x0FB5AE), RGBColor(hex: 0xFF6F59)])
        #expect(DraftPalette.namedColors(in: "一只红色的猫，蓝天") == [RGBColor(hex: 0xE53935), RGBColor(hex: 0x1E88E5)])
        #expect(DraftPalette.namedColors(in: "rendered credit #12345 #ABCDEFA").isEmpty)
        let red = try DraftArt.renderImage(Self.spec(width: 200, height: 200, prompt: "red and red"))
        #expect(red[100, 190].r > red[100, 190].b)
    }

    @Test func references_become_tiles_with_placeholders() throws {
        let tall = try DraftArt.renderImage(Self.spec(width: 720, height: 1280, references: Self.references))
        let bare = try DraftArt.renderImage(Self.spec(width: 720, height: 1280))
        #expect(tall != bare)
        #expect(DraftPainter.thumbnail(for: Self.references[0], maxSide: 100).isPicture)
        #expect(DraftPainter.thumbnail(for: Self.references[1], maxSide: 100).isPicture)
        #expect(!DraftPainter.thumbnail(for: Self.references[2], maxSide: 100).isPicture)
        #expect(!DraftPainter.thumbnail(for: DraftArtReference(label: "x.png", data: ImageFixtures.pdf), maxSide: 100).isPicture)
    }

    @Test func rejects_impossible_sizes() {
        #expect(throws: ImageCodecError.self) { try DraftArt.render(Self.spec(width: 0, height: 10)) }
    }

    /// Writes /tmp/draft-sample.{jpeg,png} for a person to look at, and prints the time of a 2048²
    /// draft (a figure to read, not a bar: speed goals live in bench/, not in unit tests).
    @Test func writes_a_sample_of_2048() throws {
        let long = "Four images of the mascot from image 1: wearing sunglasses, riding a motorbike, in a hat, holding a "
            + "lollipop. flat vector, teal #0FB5AE and coral #FF6F59, soft studio light. 机器人吉祥物在海边挥手，蓝天白云。"
        let spec = Self.spec(width: 2048, height: 2048, index: 2, count: 4, prompt: long, references: Self.references)
        _ = try DraftArt.render(spec)  // warm the glyph cache
        let clock = ContinuousClock()
        var data = Data()
        let elapsed = try clock.measure { data = try DraftArt.render(spec) }
        print("draft 2048x2048 render+encode: \(elapsed), \(data.count) bytes")
        try data.write(to: URL(fileURLWithPath: "/tmp/draft-sample.jpeg"))
        try PNGCodec.encode(JPEGCodec.decode(data, maxDimension: 1024)).write(to: URL(fileURLWithPath: "/tmp/draft-sample.png"))
        #expect(try ImageProbe.probe(data) == ImageInfo(format: .jpeg, width: 2048, height: 2048))
    }

    /// Several renders at once share the text renderer and still give identical bytes.
    @Test func concurrent_renders_agree() async throws {
        let spec = Self.spec(width: 640, height: 360, index: 3, count: 4, references: Self.references)
        let expected = try DraftArt.render(spec)
        try await withThrowingTaskGroup(of: Data.self) { group in
            for _ in 0..<6 { group.addTask { try DraftArt.render(spec) } }
            for try await data in group { #expect(data == expected) }
        }
    }

    /// With ASSETBUILD_DRAFT_SAMPLES=1, writes one PNG per layout to /tmp for a person to look at.
    @Test func writes_layout_samples_on_request() throws {
        guard ProcessInfo.processInfo.environment["ASSETBUILD_DRAFT_SAMPLES"] != nil else { return }
        let heavy = [DraftArtReference(label: "big.png", data: ImageFixtures.png(width: 2048, height: 2048)),
                     DraftArtReference(label: "big.jpeg", data: ImageFixtures.jpeg(width: 4096, height: 2304))]
        for side in [2048, 4096] {
            let spec = Self.spec(width: side, height: side, index: 1, count: 2, references: heavy + Self.references)
            let start = ContinuousClock.now
            let data = try DraftArt.render(spec)
            print("draft \(side)x\(side) with 2048² png + 4096×2304 jpeg references: \(ContinuousClock.now - start), \(data.count) bytes")
        }
        let sizes = [(720, 1280), (2560, 1440), (4096, 256), (256, 4096), (1024, 1024)]
        for (i, (w, h)) in sizes.enumerated() {
            let prompt = i == 4 ? "一只红色的机器人吉祥物，在蓝色的天空下挥手。" : "Website hero: the mascot from image 1 beside the product in image 2, "
                + "wide 16:9 banner, navy and gold, dramatic light, lots of detail in the background, crisp edges"
            let spec = DraftArtSpec(target: i == 2 ? "a-rather-long-target-name" : "hero", index: i % 3 + 1, count: i == 1 ? 1 : 3,
                                    width: w, height: h, prompt: prompt, model: "doubao-seedream-4-5-251128",
                                    sizeLabel: i == 0 ? "2K" : "\(w)x\(h)", key: String(repeating: "ab\(i)", count: 10),
                                    references: Array(Self.references.prefix(i + 1)))
            let image = try DraftArt.renderImage(spec)
            let preview = image.scaled(width: max(1, image.width * 1024 / max(image.width, image.height)),
                                       height: max(1, image.height * 1024 / max(image.width, image.height)))
            try PNGCodec.encode(preview).write(to: URL(fileURLWithPath: "/tmp/draft-sample-\(w)x\(h).png"))
            let corner = image.cropped(to: PixelRect(x: 0, y: 0, width: min(w, 1600), height: min(h, 1000)))
            try PNGCodec.encode(corner).write(to: URL(fileURLWithPath: "/tmp/draft-sample-\(w)x\(h)-corner.png"))
        }
    }
}

extension DraftPainter.Thumbnail {
    var isPicture: Bool {
        if case .picture = self { return true }
        return false
    }
}
