import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore
@testable import AssetBuildDerive

/// What a derived key takes from libvips' side: its version and the fonts' files. A new libvips
/// or a changed font file derives again (and says why); the worker is asked only when something
/// derives.
@Suite struct DeriveKeyFactsTests {
    /// libvips in process, with the version and the font file under the test's control.
    final class ScriptedToolchain: DeriveToolchain {
        let version = Mutex("8.0.0-test")
        let fontFile: String
        let asked = Mutex(0)
        let inner = InProcessDeriveToolchain()

        init(fontFile: String) { self.fontFile = fontFile }

        func version() async throws(DeriveError) -> String {
            asked.withLock { $0 += 1 }
            return version.withLock { $0 }
        }
        func resolveFont(_ name: String) async throws(DeriveError) -> ResolvedFont {
            asked.withLock { $0 += 1 }
            _ = try await inner.resolveFont(name)   // an unknown family is still refused
            return ResolvedFont(family: name, file: fontFile)
        }
        func derive(_ source: Data, spec: DeriveSpec) async throws(DeriveError) -> DerivedImage {
            try await inner.derive(source, spec: spec)
        }
    }

    static let manifest = """
        version: 1
        provider: {name: draft}
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
        targets:
          hero:
            prompt: "a red fox"
            variants:
              sq: {size: 8x8, format: png}
          card:
            from: hero
            size: 32x16
            format: png
            overlays:
              - {text: "Sale", font: "DejaVu Sans", size: 8}
        """

    @Test func a_new_libvips_or_a_changed_font_file_derives_again_and_says_why() async throws {
        let dir = try TestDirectory("derive-facts")
        try dir.write(Data("font bytes 1".utf8), to: "font.ttf")
        let toolchain = ScriptedToolchain(fontFile: dir.url("font.ttf"))
        let f = try EngineFixture(Self.manifest, derive: toolchain)
        try await f.build()
        #expect(try await f.plan().values.allSatisfy { $0.status == .upToDate })

        toolchain.version.withLock { $0 = "8.1.0-test" }
        let upgraded = try await f.plan()
        #expect(upgraded["hero"]?.status == .upToDate)
        #expect(upgraded["hero.sq"]?.reasons == [.optionChanged(name: "libvips", old: "8.0.0-test", new: "8.1.0-test")])
        try await f.build()

        try dir.write(Data("font bytes 2".utf8), to: "font.ttf")
        let refonted = try await f.plan()
        #expect(refonted["hero.sq"]?.status == .upToDate)
        #expect(refonted["card"]?.reasons == [.fontChanged])
    }

    @Test func nothing_asks_libvips_when_no_target_derives() async throws {
        let toolchain = ScriptedToolchain(fontFile: "/nonexistent")
        let f = try EngineFixture("""
            version: 1
            provider: {name: draft}
            defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
            targets:
              hero: {prompt: "a red fox"}
              card:
                from: hero
                size: 32x16
            """, derive: toolchain)
        try await f.build(["hero"])
        _ = try await f.engine().plan(targets: ["hero"])
        #expect(toolchain.asked.withLock { $0 } == 0, "neither a build nor a plan of 'hero' alone asks libvips")
        _ = try await f.plan()
        #expect(toolchain.asked.withLock { $0 } == 1, "a plan with 'card' asks its version once")
    }

    @Test func the_key_says_field_by_field_what_changed() {
        let spec = DeriveSpec(size: .exact(width: 100, height: 50), format: .webp, quality: 80)
        let old = DeriveKeyComponents(vips: "8.15.1", spec: spec.canonical, sources: ["a", "b"], fonts: [])
        var moved = spec
        moved.fit = .contain
        moved.background = DeriveColor(hex: "#0fb5ae")
        let new = DeriveKeyComponents(vips: "8.15.1", spec: moved.canonical, sources: ["a", "c"], fonts: [])
        #expect(new.changes(since: old, oldLabels: [], newLabels: []) == [
            .optionChanged(name: "fit", old: "cover", new: "contain"),
            .optionChanged(name: "crop", old: "attention", new: "(none)"),
            .optionChanged(name: "background", old: "(none)", new: "#0fb5ae"),
            .sourceImageChanged(2),
        ])
        #expect(new.key != old.key)
        // The record reads back as a derived key, not as an image key.
        let fp = Fingerprint(components: new, referenceLabels: ["hero"])
        let (decoded, labels) = try! #require(Fingerprint.decode(recordJSON: fp.recordJSON))
        #expect((decoded as? DeriveKeyComponents) == new && labels == ["hero"])
        #expect(new.summary.provider == "local" && new.summary.model == "libvips-8.15.1" && new.summary.size == "100x50")
    }
}
