import Foundation
import Testing
@testable import AssetBuildCore
@testable import AssetBuildDerive

/// Overlays land at their gravity and margin: pixel checks at known coordinates of the decoded output.
@Suite struct DeriveOverlayTests {
    private let white = DeriveFixtures.solid(.white, width: 200, height: 100)
    private let red = RGBColor(255, 0, 0)

    private func derive(_ overlays: [DeriveOverlay], format: DeriveFormat = .png,
                        on source: Data? = nil) throws -> DecodedImage {
        try DecodedImage(ImageDeriver.derive(source ?? white, spec: DeriveSpec(
            size: .exact(width: 200, height: 100), format: format, overlays: overlays)))
    }

    @Test func an_svg_logo_sits_in_the_south_east_corner_at_its_margin() throws {
        let logo = DeriveFixtures.svgRect(width: 20, height: 10, fill: "#ff0000")
        let out = try derive([.image(DeriveImageOverlay(bytes: logo, gravity: .southEast, margin: 8))])
        // x 172…191, y 82…91.
        let box = try #require(out.bounds { $0.r > 200 && $0.g < 60 && $0.b < 60 })
        #expect(box.minX == 172 && box.maxX == 191 && box.minY == 82 && box.maxY == 91, "\(box)")
        #expect(out.isClose(x: 181, y: 86, to: red, tolerance: 2))
        #expect(out.isClose(x: 194, y: 86, to: .white, tolerance: 2) && out.isClose(x: 181, y: 79, to: .white, tolerance: 2))
    }

    @Test func an_svg_is_rendered_at_the_asked_width_keeping_its_aspect() throws {
        let logo = DeriveFixtures.svgRect(width: 20, height: 10, fill: "#ff0000")
        let out = try derive([.image(DeriveImageOverlay(bytes: logo, gravity: .northWest, margin: 5, width: 60))])
        let box = try #require(out.bounds { $0.r > 200 && $0.g < 60 && $0.b < 60 })
        #expect(box.minX == 5 && box.minY == 5 && box.maxX == 64 && box.maxY == 34, "\(box)")
    }

    @Test func a_png_overlay_at_half_opacity_blends_and_centres() throws {
        let square = DeriveFixtures.solid(RGBColor(0, 0, 255), width: 30, height: 30)
        let out = try derive([.image(DeriveImageOverlay(bytes: square, gravity: .centre, margin: 50, opacity: 0.5))])
        // Centred (margin ignored on centred axes): x 85…114, y 35…64; white and blue half and half.
        let p = out[100, 50]
        #expect(abs(p.r - 128) <= 2 && abs(p.g - 128) <= 2 && p.b >= 253, "\(p)")
        #expect(out.isClose(x: 84, y: 50, to: .white, tolerance: 1) && out.isClose(x: 100, y: 34, to: .white, tolerance: 1))
        #expect(!out.isClose(x: 85, y: 35, to: .white, tolerance: 1) && !out.isClose(x: 114, y: 64, to: .white, tolerance: 1))
    }

    @Test func overlays_draw_in_order() throws {
        let below = DeriveFixtures.svgRect(width: 40, height: 40, fill: "#ff0000")
        let above = DeriveFixtures.svgRect(width: 20, height: 20, fill: "#0000ff")
        let out = try derive([.image(DeriveImageOverlay(bytes: below, gravity: .north)),
                              .image(DeriveImageOverlay(bytes: above, gravity: .north))])
        #expect(out.isClose(x: 100, y: 10, to: RGBColor(0, 0, 255), tolerance: 2))
        #expect(out.isClose(x: 100, y: 30, to: red, tolerance: 2))
    }

    private func isInk(_ p: (r: Int, g: Int, b: Int, a: Int)) -> Bool { p.r < 128 && p.g < 128 && p.b < 128 }

    @Test func text_draws_inside_its_box_at_its_gravity() throws {
        let source = DeriveFixtures.solid(.white, width: 400, height: 200)
        let text = DeriveTextOverlay(text: "Hello", font: "DejaVu Sans Bold", size: 32, color: DeriveColor(0, 0, 0),
                                     gravity: .northEast, margin: 10, maxWidth: 150)
        let out = try DecodedImage(ImageDeriver.derive(source, spec: DeriveSpec(
            size: .exact(width: 400, height: 200), format: .png, overlays: [.text(text)])))
        let ink = try #require(out.bounds(where: isInk))
        // In the top-right box: right edge near 390, top near 10, one 32 px line.
        #expect(ink.maxX <= 390 && ink.maxX >= 370, "\(ink)")
        #expect(ink.minX >= 240, "\(ink)")
        #expect(ink.minY >= 10 && ink.minY <= 25 && ink.maxY <= 10 + 45, "\(ink)")
        #expect(out.count(where: isInk) > 150)
    }

    @Test func long_text_wraps_to_its_maximum_width() throws {
        let source = DeriveFixtures.solid(.white, width: 400, height: 300)
        let text = DeriveTextOverlay(text: "A headline long enough to wrap onto several lines", font: "DejaVu Sans",
                                     size: 24, color: DeriveColor(0, 0, 0), gravity: .southWest, margin: 16, maxWidth: 180)
        let out = try DecodedImage(ImageDeriver.derive(source, spec: DeriveSpec(
            size: .exact(width: 400, height: 300), format: .png, overlays: [.text(text)])))
        let ink = try #require(out.bounds(where: isInk))
        #expect(ink.minX >= 16 && ink.minX <= 24 && ink.maxX < 16 + 180, "\(ink)")
        #expect(ink.maxY <= 300 - 16 && ink.maxY >= 300 - 16 - 12, "\(ink)")
        #expect(ink.maxY - ink.minY > 3 * 24, "wrapped onto several lines: \(ink)")
    }

    @Test func text_is_plain_not_markup_and_takes_the_colour_alpha() throws {
        let text = DeriveTextOverlay(text: "Fish & <Chips>", font: "DejaVu Sans", size: 20,
                                     color: DeriveColor(hex: "#ff000080")!, gravity: .centre)
        let out = try derive([.text(text)], format: .jpeg)
        // Half-transparent red on white: pink ink, never full red.
        let pink = out.count { $0.r > 240 && $0.g < 200 && $0.g > 100 && $0.b < 200 }
        #expect(pink > 30)
        #expect(out.count { $0.r > 200 && $0.g < 60 } == 0)
    }

    @Test func an_opaque_base_stays_opaque_after_overlays() throws {
        let logo = DeriveFixtures.svgRect(width: 20, height: 10, fill: "#ff0000")
        let data = try ImageDeriver.derive(white, spec: DeriveSpec(
            size: .exact(width: 200, height: 100), format: .png, overlays: [.image(DeriveImageOverlay(bytes: logo))]))
        #expect(try !DerivedImageReader.info(data).hasAlpha)
    }
}
