import Foundation
import Testing
@testable import AssetBuildCore

@Suite("CLI gallery")
struct CLIGalleryTests {
    @Test("gallery writes a contact sheet linking every output, and marks stale targets")
    func contactSheet() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        let early = try await ws.run(["gallery"])
        #expect(early.status == 2 && early.stderr.contains("nothing built yet"), "\(early)")
        try await ws.buildOK()
        try ws.dir.edit("assetbuild.yaml", replacing: "waving", with: "jumping")
        let r = try await ws.run(["gallery", "--provider", "draft"])
        #expect(r.status == 0, "\(r)")
        let html = try ws.dir.text("build/gallery.html")
        // Every picture, generated or derived (WebP thumbnails included), is shown.
        for path in try ws.outputHashes().keys where path.hasSuffix(".jpeg") || path.hasSuffix(".webp") {
            #expect(html.contains("src=\"\(path)\""), "\(path)")
        }
        // Variants sit under their source and say what they are; derived targets say their source.
        #expect(html.contains("<article class=\"card variant\">\n<h2>launch.post</h2>\n<p class=\"derived\">variant of launch · 1080x1080 jpeg · made locally, no cost</p>"), "\(html)")
        #expect(html.contains("<h2>launch-og</h2>\n<p class=\"derived\">derived from launch · 1200x630 jpeg · made locally, no cost</p>"))
        #expect(html.contains("<h2>mascot</h2>"))
        #expect(html.contains("prompt changed"))
        #expect(html.contains("upstream &#39;mascot&#39; rebuilt") || html.contains("waits for upstream"))
        // The gallery is not an output: building again leaves it alone.
        try await ws.buildOK()
        #expect(ws.dir.exists("build/gallery.html"))
    }
}
