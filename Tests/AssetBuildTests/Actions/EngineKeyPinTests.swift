import Foundation
import Testing
@testable import AssetBuildCore

/// The exact action keys of representative image and text targets, as assetbuild computed them
/// before the kinds of action moved behind one protocol. A changed key makes users pay again for
/// every cached image: these must never move.
@Suite struct EngineKeyPinTests {
    static let manifest = """
        version: 1
        provider: {name: draft}
        targets:
          hero:
            model: doubao-seedream-4-0-250828
            prompt: "A hero in the style of image 1, beside image 2, under image 3"
            references: [refs/in.png, "https://example.com/a.png", {url: "https://example.com/pinned.png", pin: true}]
            size: 2K
            images: 3
            min_images: 2
            watermark: true
            optimize_prompt: fast
            stream: true
            response_format: b64_json
          legacy:
            model: doubao-seedream-3-0-t2i-250415
            prompt: "An old-style robot"
            size: 1024x1024
            seed: 7
            guidance_scale: 2.5
            watermark: true
          edit:
            model: doubao-seededit-3-0-i2i-250628
            prompt: "Make the sky purple"
            references: ["hero[2]"]
            size: adaptive
            seed: 3
            guidance_scale: 5.5
          story:
            kind: text
            model: doubao-seed-1-6-251015
            system: "You write picture books for children."
            prompt: "A five-scene story about a robot who learns to swim"
            schema: storybook
            thinking: disabled
            temperature: 0.3
            max_tokens: 4000
          notes:
            kind: text
            model: doubao-seed-1-6-251015
            prompt: "Three taglines for ${story.title}"
            response_format: text
          tale:
            storybook:
              request: "A bedtime story about Pip the bunny"
              references: [refs/in.png]
              scenes: 5-6
              watermark: false

        """

    /// Answers a pinned URL with a fixed PNG.
    struct FixedFetcher: URLFetcher {
        func fetch(_ url: String) async throws -> Data {
            try PNGCodec.encode(RGBImage(width: 32, height: 32, color: RGBColor(10, 200, 30)))
        }
    }

    static let pinned: [String: String] = [
        "hero": "38777adb81dcfef6a1a6b0b62c04a12d35b710c03209a46bb926ee36dbe0956e",
        "legacy": "9fd06532c7ee367f43c9321679348ac62c42e9da984ab4a8a2bbcbc2a55b4d9e",
        "edit": "bc8b23e4eac48027bc2d1700abca0fa060ae6b7d37880bcb0065588590345117",
        "story": "36bb12e7fb663f023784c1716cb4710915efa5e38f8247c3f8f25c486ee78446",
        "notes": "3eec383551e56182f3196d7580033133c2bfd413d95645d3741c14293e8df16b",
        // A book is keyed by `BookKeyComponents` (format 2); it may change, being local and free.
        "tale": "a41dc20727792aa3f60f43e7ca314ac3d890d9c8637f85c549ee45075b250639",
        "tale.story": "c685750eac62ce1f111ce573bfb046c61750e98734414aa9faf63afc857d4db9",
        "tale.pictures": "2e630e1011c6d6a0146f627d6a648fe1c4778c466fa6bcbb6701c27bcd2dc500",
    ]

    @Test func imageAndTextKeysStayByteIdentical() async throws {
        let f = try EngineFixture(Self.manifest)
        let manifest = try ManifestLoader.load(path: f.dir.url("assetbuild.yaml"))
        let engine = BuildEngine(workspace: try Workspace(manifest: manifest), images: f.provider, text: f.provider,
                                 reporter: f.reporter, fetcher: FixedFetcher())
        _ = try await engine.build(BuildOptions())
        let keys = Dictionary(uniqueKeysWithValues: try await engine.plan().targets.map { ($0.target, $0.fingerprint?.key ?? "none") })
        for (target, key) in Self.pinned.sorted(by: { $0.key < $1.key }) {
            #expect(keys[target] == key, "\(target)")
        }
    }
}
