import Foundation
import Testing
@testable import AssetBuildCore

/// Variants and derived targets as the manifest loads them: names, sources, image counts, output
/// paths, references to variants. Every key and every bad option are pinned by the goldens in
/// `Fixtures/manifests` (`good/derived-targets`, `bad/variant-*`, `bad/derived-*`, `bad/overlay-*`).
@Suite struct DerivedManifestTests {
    static func load(_ body: String, directory: String = "/m") throws(DiagnosticsError) -> Manifest {
        try ManifestLoader.parse(text: "version: 1\ntargets:\n" + body, file: "assetbuild.yaml",
                                 path: directory + "/assetbuild.yaml", directory: directory)
    }

    static func errors(_ body: String, directory: String = "/m") -> [String] {
        do {
            _ = try load(body, directory: directory)
            return []
        } catch {
            return error.diagnostics.filter { $0.severity == .error }.map(\.message)
        }
    }

    @Test(arguments: [
        ("hero", "hero", nil), ("poses[2]", "poses", 2), ("hero.og", "hero.og", nil), ("poses[2].ig", "poses.ig", 2),
        ("poses.ig[2]", "poses.ig", 2), ("my-target_2.v-1", "my-target_2.v-1", nil),
    ] as [(String, String, Int?)])
    func sources_and_variant_references_parse(_ text: String, target: String, index: Int?) throws {
        let s = try #require(DeriveSource.parse(text))
        #expect(s.target == target && s.index == index && s.spelling == text)
    }

    @Test(arguments: ["", "refs/hero.png", "a.b.c", "Hero", "hero.OG", "poses[x]", "poses[2][3]", "poses[2", ".og", "hero.",
                      "https://example.com/a.png", "poses[2].ig[3]"])
    func other_shapes_are_not_sources(_ text: String) {
        #expect(DeriveSource.parse(text) == nil)
    }

    @Test func variants_become_targets_right_after_their_parent() throws {
        let m = try Self.load("""
          hero:
            prompt: "A hero"
            variants:
              og: {size: 1200x630}
              thumb: {width: 320, format: png}
          other:
            prompt: "Another"
        """)
        #expect(m.targetNames == ["hero", "hero.og", "hero.thumb", "other"])
        let og = try #require(m["hero.og"]?.derived)
        #expect(og.variant == "og" && og.source.value.target == "hero" && og.source.value.index == nil)
        #expect(og.source.location == m["hero.og"]!.location)
        #expect(m["hero.og"]!.location.line == 6 && m["hero.og"]!.location.column == 7)
        #expect(og.size == .exact(width: 1200, height: 630) && og.fit == .cover && og.crop == .attention)
        #expect(og.format == .jpeg && og.quality == nil && og.background == nil && og.overlays.isEmpty)
        #expect(m["hero.thumb"]?.derived?.size == .width(320))
        #expect(m["hero.og"]!.dependencies.map(\.value) == ["hero"])
    }

    @Test func outputs_sit_beside_the_source_for_one_image_a_group_and_a_custom_output() throws {
        let m = try Self.load("""
          hero:
            prompt: "A hero"
            variants:
              og: {size: 1200x630}
          poses:
            prompt: "Poses"
            images: 3
            variants:
              ig: {size: 1080x1080, format: webp}
          banner:
            prompt: "A banner"
            output: public/img/banner.jpg
            variants:
              og: {size: 1200x630, format: png}
          shots:
            prompt: "Shots"
            images: 2
            output: img/shot-{n}.jpeg
            variants:
              small: {width: 256, format: avif}
              own: {height: 100, output: "thumbs/{n}.webp"}
        """)
        #expect(m["hero.og"]!.possibleOutputPaths == ["hero.og.jpeg"])
        #expect(m["poses.ig"]!.possibleOutputPaths == ["poses/1.ig.webp", "poses/2.ig.webp", "poses/3.ig.webp"])
        #expect(m["banner.og"]!.possibleOutputPaths == ["public/img/banner.og.png"])
        #expect(m["shots.small"]!.possibleOutputPaths == ["img/shot-1.small.avif", "img/shot-2.small.avif"])
        // `output:` chooses the format when `format:` is not given.
        #expect(m["shots.own"]!.possibleOutputPaths == ["thumbs/1.webp", "thumbs/2.webp"])
        #expect(m["shots.own"]!.derived?.format == .webp)
    }

    @Test(arguments: [
        ("hero.jpeg", "og", DeriveFormat.jpeg, "hero.og.jpeg"), ("poses/{n}.jpeg", "ig", .webp, "poses/{n}.ig.webp"),
        ("public/img/hero.jpg", "og", .png, "public/img/hero.og.png"), ("v1.2/hero.jpeg", "og", .avif, "v1.2/hero.og.avif"),
        ("out/hero", "og", .jpeg, "out/hero.og.jpeg"),
    ] as [(String, String, DeriveFormat, String)])
    func a_variant_output_replaces_the_source_extension(_ source: String, variant: String, format: DeriveFormat, expected: String) {
        #expect(DerivedTargets.variantOutput(of: source, variant: variant, format: format) == expected)
    }

    @Test func derived_targets_make_one_image_per_source_image() throws {
        let m = try Self.load("""
          poses:
            prompt: "Poses"
            images: 4
            variants:
              ig: {size: 1080x1080, format: webp}
          one:
            from: "poses[2]"
            size: 1080x1080
          one-variant:
            from: "poses[3].ig"
            width: 300
          all:
            from: poses.ig
            width: 300
            format: png
          chained:
            from: all
            size: 100x100
          single:
            from: later
            height: 50
          later:
            prompt: "Declared after the target derived from it"
        """)
        #expect(m["poses.ig"]?.derived?.images == 4)
        #expect(m["one"]?.derived?.images == 1 && m["one"]!.possibleOutputPaths == ["one.jpeg"])
        #expect(m["one-variant"]?.derived?.source.value == DeriveSource(target: "poses.ig", index: 3, spelling: "poses[3].ig"))
        #expect(m["one-variant"]?.derived?.images == 1)
        #expect(m["all"]?.derived?.images == 4 && m["all"]!.possibleOutputPaths.first == "all/1.png")
        #expect(m["chained"]?.derived?.images == 4 && m["chained"]!.requestedImages == 4)
        #expect(m["single"]?.derived?.images == 1)
        let graph = try BuildGraph(manifest: m)
        let order = graph.topologicalOrder.map { m.targets[$0].name }
        #expect(order.firstIndex(of: "later")! < order.firstIndex(of: "single")!)
        #expect(order.firstIndex(of: "all")! < order.firstIndex(of: "chained")!)
    }

    /// A storybook's pictures are a group like any other: derived from, whole or one page.
    @Test func a_storybook_s_pictures_can_be_derived_from() throws {
        let m = try Self.load("""
          book:
            storybook:
              request: "A story about a robot"
          pages:
            from: book.pictures
            width: 600
            format: webp
          cover:
            from: "book.pictures[1]"
            size: 1200x630
        """)
        let pictures = try #require(m["book.pictures"]?.image?.images)
        #expect(m["pages"]?.derived?.images == pictures && m["pages"]!.possibleOutputPaths.count == pictures)
        #expect(m["pages"]!.possibleOutputPaths.first == "pages/1.webp")
        #expect(m["cover"]?.derived?.images == 1 && m["cover"]!.dependencies.map(\.value) == ["book.pictures"])
    }

    @Test func references_name_variants_and_files_stay_files() throws {
        let m = try Self.load("""
          logo:
            prompt: "A logo"
          hero:
            prompt: "A hero"
            variants:
              og: {size: 1200x630}
          poses:
            prompt: "Poses"
            images: 4
            variants:
              ig: {size: 1080x1080, format: webp}
          pick:
            prompt: "Image 1 and image 2 and image 3"
            references: [hero.og, "poses[2].ig", "poses.ig[3]", logo.png, refs/hero.og, mascot.v2, {target: poses.ig, image: 4}]
        """)
        let refs = try #require(m["pick"]?.image?.references).map(\.value.source)
        #expect(refs == [.target("hero.og", index: nil), .target("poses.ig", index: 2), .target("poses.ig", index: 3),
                         .file("logo.png"), .file("refs/hero.og"), .file("mascot.v2"), .target("poses.ig", index: 4)])
        #expect(Set(m["pick"]!.dependencies.map(\.value)) == ["hero.og", "poses.ig"])
    }

    @Test func a_misspelt_variant_gets_a_suggestion_over_targets_and_variants() {
        #expect(Self.errors("""
          hero:
            prompt: "A hero"
            variants:
              og: {size: 1200x630}
          pick:
            prompt: "Image 1"
            references: [hero.ogg]
          card:
            from: hero.gg
            width: 10
        """) == ["unknown target 'hero.ogg' in references; did you mean 'hero.og'?",
                 "unknown target 'hero.gg' in 'from'; did you mean 'hero.og'?"])
    }

    /// A variant whose own options are broken is still a declared name: a reference to it is not
    /// reported as unknown on top of its own error.
    @Test func a_reference_to_a_broken_variant_reports_only_the_variant() {
        #expect(Self.errors("""
          hero:
            prompt: "A hero"
            variants:
              og: {size: 0x630}
          pick:
            prompt: "Image 1"
            references: [hero.og]
          card:
            from: hero.og
            width: 10
        """) == ["size '0x630' has a side of 0; give WxH such as 1200x630, or 'width:' or 'height:' alone to keep the aspect ratio"])
    }

    @Test func text_overlays_expand_vars_and_keep_fields_as_dependencies() throws {
        let m = try ManifestLoader.parse(text: """
            version: 1
            vars: {brand: Acme}
            targets:
              copy:
                kind: text
                prompt: "A headline as JSON {headline}"
              hero:
                prompt: "A hero"
              card:
                from: hero
                size: 1200x630
                overlays:
                  - {text: "${copy.headline}, by ${brand}", font: "DejaVu Sans Bold", size: 64}
            """, file: "assetbuild.yaml", path: "/m/assetbuild.yaml", directory: "/m")
        let card = try #require(m["card"]?.derived)
        guard case .text(let t) = card.overlays.first?.value else {
            Issue.record("no text overlay")
            return
        }
        #expect(t.text.display == "${copy.headline}, by Acme")
        #expect(t.font == "DejaVu Sans Bold" && t.size == 64 && t.color == .white && t.gravity == .northWest)
        #expect(t.fontLocation.line == 13 && t.fontLocation.column == 55)
        #expect(card.fieldReferences.map(\.value) == ["copy"])
        #expect(m["card"]!.dependencies.map(\.value) == ["hero", "copy"])
    }

    /// Overlay files follow the manifest's file policy: outside its folder only when allowed.
    @Test func overlay_files_outside_the_folder_need_consent() throws {
        let dir = try TestDirectory("overlay-policy")
        try dir.write("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"4\"/>", to: "brand/logo.svg")
        try dir.write("", to: "project/.keep")
        let body = """
          hero:
            prompt: "A hero"
          card:
            from: hero
            size: 100x100
            overlays: [{image: ../brand/logo.svg}]
        """
        let project = dir.url("project")
        #expect(Self.errors(body, directory: project).first?.hasPrefix("overlay file '../brand/logo.svg' is outside the manifest's folder") == true)
        let allowed = "version: 1\nprovider: {allow_outside: [../brand]}\ntargets:\n" + body
        let m = try ManifestLoader.parse(text: allowed, file: "assetbuild.yaml", path: project + "/assetbuild.yaml", directory: project)
        #expect(m.inputFiles == [project + "/../brand/logo.svg"])
        _ = try ManifestLoader.parse(text: "version: 1\ntargets:\n" + body, file: "assetbuild.yaml",
                                     path: project + "/assetbuild.yaml", directory: project, allowOutside: true)
    }
}
