import Foundation
import Testing
@testable import AssetBuildCore

@Suite struct ImagingTextRendererTests {
    let renderer = TextRenderer.shared

    @Test func finds_dejavu_and_draws_ink() {
        #expect(renderer.hasFonts)
        var image = RGBImage(width: 200, height: 60, color: .white)
        let used = renderer.draw("Hello", into: &image, x: 5, y: 5, pixelHeight: 30, color: .black, maxWidth: 190, maxLines: 1)
        #expect(used == TextRenderer.lineMetrics(pixelHeight: 30).lineHeight)
        #expect(image.pixels.contains(0))
    }

    @Test func wraps_greedily_at_spaces_and_ends_in_an_ellipsis() {
        let text = "one two three four five six seven eight nine ten"
        let wide = renderer.measure(text, pixelHeight: 20)
        let wrapped = renderer.measure(text, pixelHeight: 20, maxWidth: wide.width / 2)
        #expect(wrapped.height >= 2 * TextRenderer.lineMetrics(pixelHeight: 20).lineHeight)
        #expect(wrapped.width <= wide.width / 2)
        let lines = renderer.layout(text, pixelHeight: 20, bold: false, maxWidth: wide.width / 3, maxLines: 2)
        #expect(lines.count == 2)
        #expect(lines[1].width <= wide.width / 3)
    }

    @Test func cjk_breaks_between_characters_and_long_words_split() {
        let tokens = TextRenderer.tokens(Array("机器人，挥手 ok".unicodeScalars))
        #expect(tokens.first == .word(0..<1))
        #expect(tokens.contains(.word(2..<4)))  // "人，" stays together
        let lines = renderer.layout(String(repeating: "x", count: 200), pixelHeight: 16, bold: false, maxWidth: 100, maxLines: 10)
        #expect(lines.count > 1 && lines.allSatisfy { $0.width <= 100 })
    }

    @Test func without_fonts_draws_boxes_instead_of_crashing() {
        let boxes = TextRenderer(regular: "/nonexistent.ttf", bold: nil)
        #expect(!boxes.hasFonts)
        var image = RGBImage(width: 120, height: 40, color: .white)
        boxes.draw("abc 中文", into: &image, x: 2, y: 2, pixelHeight: 20, color: .black, maxWidth: 116, maxLines: 1)
        #expect(image.pixels.contains(0))
    }

    @Test func takes_missing_characters_from_the_fallback_face() throws {
        let dir = "/usr/share/fonts/truetype/dejavu/"
        let math = dir + "DejaVuMathTeXGyre.ttf", sans = dir + "DejaVuSans.ttf"
        try #require(FileManager.default.fileExists(atPath: math) && FileManager.default.fileExists(atPath: sans))
        let mathOnly = TextRenderer(regular: math, bold: nil)
        let sansOnly = TextRenderer(regular: sans, bold: nil)
        let chained = TextRenderer(regular: math, bold: nil, fallbacks: [sans])
        let cyrillic: [Unicode.Scalar] = ["\u{0416}"]  // Ж: in DejaVu Sans, not in the math font
        let fromSans = sansOnly.glyphs(for: cyrillic, pixelHeight: 24, bold: false)[0].coverage
        let missing = mathOnly.glyphs(for: ["\u{E000}"], pixelHeight: 24, bold: false)[0].coverage  // .notdef
        #expect(mathOnly.glyphs(for: cyrillic, pixelHeight: 24, bold: false)[0].coverage == missing)
        #expect(missing != fromSans)
        #expect(chained.glyphs(for: cyrillic, pixelHeight: 24, bold: false)[0].coverage == fromSans)
    }

    @Test func degenerate_sizes_do_not_crash() {
        var image = RGBImage(width: 10, height: 10)
        #expect(renderer.draw("text", into: &image, x: -50, y: 900, pixelHeight: 0, color: .white, maxWidth: 0) == 0)
        renderer.draw("text", into: &image, x: 5, y: 5, pixelHeight: 400, color: .white)
        #expect(renderer.measure("", pixelHeight: 12).height == 0)
    }
}
