import Foundation
import Testing
@testable import AssetBuildCore
@testable import AssetBuildDerive

/// Derived targets in the engine: built after their source, at no cost, cached and incremental
/// like everything else (issue 10, item 3). Sizes and formats are read back from the files.
@Suite struct DeriveEngineTests {
    static let manifest = """
        version: 1
        provider: {name: draft}
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
        targets:
          hero:
            prompt: "a red fox"
            variants:
              og: {size: 12x6, format: jpeg, quality: 85}
              ig: {size: 8x8, format: webp, quality: 80}
              thumb: {width: 4, format: png}
          poses:
            prompt: "two poses"
            images: 2
            variants:
              sq: {size: 8x8, format: png}
          card:
            from: hero.og
            size: 12x6
            format: png
            overlays:
              - {image: logo.png, gravity: south-east, width: 4}
        """

    static func fixture() throws -> EngineFixture {
        let f = try EngineFixture(manifest, derive: InProcessDeriveToolchain())
        try f.dir.write(DeriveFixtures.solid(DeriveFixtures.blue, width: 8, height: 8), to: "logo.png")
        return f
    }

    static func info(_ f: EngineFixture, _ path: String) throws -> DerivedImageReader.Info {
        try DerivedImageReader.info(try f.dir.read("build/" + path))
    }

    @Test func variants_and_derived_targets_are_made_beside_their_source() async throws {
        let f = try Self.fixture()
        let paid = try await f.build()
        #expect(paid.sorted() == ["hero", "poses"])
        let og = try Self.info(f, "hero.og.jpeg")
        #expect(og.format == .jpeg && og.width == 12 && og.height == 6)
        let ig = try Self.info(f, "hero.ig.webp")
        #expect(ig.format == .webp && ig.width == 8 && ig.height == 8)
        let thumb = try Self.info(f, "hero.thumb.png")
        #expect(thumb.format == .png && thumb.width == 4)
        for n in 1...2 {
            let sq = try Self.info(f, "poses/\(n).sq.png")
            #expect(sq.format == .png && sq.width == 8 && sq.height == 8)
        }
        let card = try Self.info(f, "card.png")
        #expect(card.format == .png && card.width == 12 && card.height == 6)
        #expect(try await f.correctBuildProblems() == [])
    }

    @Test func editing_only_quality_derives_that_variant_again_and_pays_for_nothing() async throws {
        let f = try Self.fixture()
        try await f.build()
        let before = try f.dir.read("build/hero.og.jpeg")
        try f.edit("og: {size: 12x6, format: jpeg, quality: 85}", "og: {size: 12x6, format: jpeg, quality: 40}")
        let plan = try await f.plan()
        #expect(plan["hero"]?.status == .upToDate)
        #expect(plan["hero.ig"]?.status == .upToDate)
        #expect(plan["hero.og"]?.status == .run)
        #expect(plan["hero.og"]?.reasons == [.optionChanged(name: "quality", old: "85", new: "40")])
        #expect(plan["hero.og"]?.estimatedCost == 0)
        let paid = try await f.build()
        #expect(paid == [])
        #expect(try f.dir.read("build/hero.og.jpeg") != before)
        // The card is made from the og variant: its new bytes derive the card again.
        #expect(f.lastDecision("card")?.1 == [.sourceImageChanged(1)])
    }

    @Test func a_prompt_edit_regenerates_the_source_then_derives_its_variants() async throws {
        let f = try Self.fixture()
        try await f.build()
        try f.edit("a red fox", "a blue fox")
        let mark = f.reporter.events.count
        let paid = try await f.build()
        #expect(paid == ["hero"])
        var decided: [String: TargetStatus] = [:]
        for case let .decided(t, status, _, _) in f.reporter.events.dropFirst(mark) { decided[t] = status }
        // Decided last once the new image was known; `poses` and its variant are not touched.
        #expect(decided == ["hero": .run, "hero.og": .run, "hero.ig": .run, "hero.thumb": .run, "card": .run])
        // Each variant was made again from the new image (and only those).
        var started: [String] = []
        for case let .targetStarted(t, _, _) in f.reporter.events.dropFirst(mark) { started.append(t) }
        #expect(started.sorted() == ["card", "hero", "hero.ig", "hero.og", "hero.thumb"])
    }

    @Test func a_source_rebuilt_with_the_same_bytes_derives_nothing_again() async throws {
        let f = try Self.fixture()
        try await f.build()
        f.provider.reset()
        // Forced: a new request whose answer has the very same bytes (the fake is deterministic).
        var options = BuildOptions()
        options.force = true
        options.targets = ["hero"]
        _ = try await f.engine().build(options)
        #expect(f.provider.actionsRan == ["hero"])
        let plan = try await f.plan()
        for t in ["hero.og", "hero.ig", "hero.thumb", "card"] {
            #expect(plan[t]?.status == .upToDate, "\(t)")
        }
    }

    @Test func the_key_changes_with_each_option_and_the_overlay_file() async throws {
        let f = try Self.fixture()
        try await f.build()
        let edits: [(String, String, String, RebuildReason)] = [
            ("hero.ig", "ig: {size: 8x8, format: webp, quality: 80}", "ig: {size: 8x8, format: webp, quality: 80, crop: entropy}",
             .optionChanged(name: "crop", old: "attention", new: "entropy")),
            ("hero.ig", "ig: {size: 8x8, format: webp, quality: 80}", "ig: {size: 8x8, format: webp, quality: 80, fit: contain}",
             .optionChanged(name: "fit", old: "cover", new: "contain")),
            ("hero.ig", "ig: {size: 8x8, format: webp, quality: 80}", "ig: {size: 8x8, format: avif, quality: 80}",
             .optionChanged(name: "format", old: "webp", new: "avif")),
            ("hero.thumb", "thumb: {width: 4, format: png}", "thumb: {width: 6, format: png}",
             .optionChanged(name: "size", old: "4x", new: "6x")),
            ("card", "gravity: south-east, width: 4", "gravity: north-west, width: 4", .overlayChanged(1)),
        ]
        for (target, old, new, reason) in edits {
            try f.edit(old, new)
            let plan = try await f.plan()
            #expect(plan[target]?.status == .run, "\(target) after \(new)")
            #expect(plan[target]?.reasons.contains(reason) == true, "\(target): \(plan[target]?.reasons ?? [])")
            try f.edit(new, old)
        }
        try f.dir.write(DeriveFixtures.solid(DeriveFixtures.red, width: 8, height: 8), to: "logo.png")
        let plan = try await f.plan()
        #expect(plan["card"]?.reasons == [.overlayChanged(1)])
        #expect(plan["hero.og"]?.status == .upToDate)
    }

    @Test func an_unknown_font_is_an_error_at_its_line_before_anything_is_paid_for() async throws {
        let f = try EngineFixture("""
            version: 1
            provider: {name: draft}
            defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
            targets:
              hero:
                prompt: "a red fox"
              card:
                from: hero
                size: 64x32
                format: png
                overlays:
                  - {text: "Sale", font: "DejaVu Sanz", size: 12}
            """, derive: InProcessDeriveToolchain())
        await #expect(throws: DiagnosticsError.self) { try await f.build() }
        #expect(f.provider.actionsRan == [])
        do {
            try await f.build()
        } catch let error as DiagnosticsError {
            let text = error.description
            #expect(text.contains("assetbuild.yaml:12:"), "\(text)")
            #expect(text.contains("did you mean 'DejaVu Sans'?"), "\(text)")
        }
    }
}
