import Foundation
import Testing
@testable import AssetBuildCore

/// `validate` and `graph` on a manifest with variants and derived targets, through the binary:
/// the text is pinned by goldens in `Fixtures/cli/derived/` (`RECORD_SNAPSHOTS=1` rewrites them).
@Suite("CLI: variants and derived targets")
struct DerivedCLITests {
    static let manifest = """
        version: 1
        provider: {name: draft}
        targets:
          copy:
            kind: text
            prompt: "A headline as JSON {headline}"
          hero:
            prompt: "A hero"
            size: 2560x1440
            variants:
              og: {size: 1200x630}
              thumb: {width: 320, format: png}
          poses:
            prompt: "Four poses of image 1"
            references: [hero.og]
            images: 4
            variants:
              ig: {size: 1080x1080, format: webp}
          card:
            from: "poses[2].ig"
            size: 1200x630
            overlays:
              - {image: brand/logo.svg, width: 160}
              - {text: "${copy.headline}", font: "DejaVu Sans Bold", size: 48}
          tiny:
            from: poses
            height: 120
        """

    static let goldens = ManifestSnapshot.fixtures.deletingLastPathComponent().appendingPathComponent("cli/derived")

    static func workspace() throws -> CLIWorkspace {
        let ws = try CLIWorkspace(manifest: manifest)
        try ws.dir.write("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"8\" height=\"8\"/>", to: "brand/logo.svg")
        return ws
    }

    @Test("validate counts derived images apart from generated ones")
    func validate() async throws {
        let r = try await Self.workspace().run(["validate"])
        #expect(r.status == 0, "\(r)")
        #expect(r.stdout == "assetbuild.yaml: ok (8 target(s), up to 5 image(s) per full build, and 11 derived locally at no cost)\n")
    }

    @Test("graph shows variants and derived targets with their sources, overlay files and fields")
    func graph() async throws {
        let ws = try Self.workspace()
        let dot = try await ws.run(["graph"])
        #expect(dot.status == 0, "\(dot)")
        try ManifestSnapshot.assert(dot.stdout, golden: Self.goldens.appendingPathComponent("graph.dot"))
        let mermaid = try await ws.run(["graph", "--format", "mermaid"])
        #expect(mermaid.status == 0, "\(mermaid)")
        try ManifestSnapshot.assert(mermaid.stdout, golden: Self.goldens.appendingPathComponent("graph.mmd"))
    }

    @Test("validate names an unknown font at its place with the closest installed family, as plan and build do")
    func validateUnknownFont() async throws {
        let ws = try CLIWorkspace(manifest: Self.manifest.replacingOccurrences(of: "DejaVu Sans Bold", with: "DejaVu Sanz Bold"))
        try ws.dir.write("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"8\" height=\"8\"/>", to: "brand/logo.svg")
        let validate = try await ws.run(["validate"])
        #expect(validate.status == 2, "\(validate)")
        #expect(validate.stdout.isEmpty)
        try ManifestSnapshot.assert(validate.stderr, golden: Self.goldens.appendingPathComponent("validate-unknown-font.txt"))
        for command in [["plan"], ["build"]] {
            let other = try await ws.run(command)
            #expect(other.status == 2 && other.stderr == validate.stderr, "\(command): \(other)")
        }
        #expect(!ws.dir.exists("build"))
        // Fixed, it validates; a font known from the facts kept in the state folder is checked the same.
        try ws.dir.edit("assetbuild.yaml", replacing: "DejaVu Sanz Bold", with: "DejaVu Sans Bold")
        let ok = try await ws.run(["validate"])
        #expect(ok.status == 0, "\(ok)")
    }

    @Test("a bad variant option exits 2 at its line and column, before anything is built")
    func badOption() async throws {
        let ws = try CLIWorkspace(manifest: Self.manifest.replacingOccurrences(of: "format: webp}", with: "format: wepb}"))
        let r = try await ws.build()
        #expect(r.status == 2, "\(r)")
        #expect(r.stderr.contains("assetbuild.yaml:18:37: error: 'format' must be one of 'jpeg', 'png', 'webp', 'avif', found 'wepb'; did you mean 'webp'?"),
                "\(r.stderr)")
        #expect(r.stderr.contains("assetbuild.yaml:23:17: error: overlay file 'brand/logo.svg' not found"), "\(r.stderr)")
        #expect(!ws.dir.exists("build") && !ws.dir.exists(".assetbuild/cache.db"))
    }
}
