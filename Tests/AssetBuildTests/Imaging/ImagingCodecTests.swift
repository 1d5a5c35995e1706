import Foundation
import Testing
@testable import AssetBuildCore

@Suite struct ImagingCodecTests {
    @Test func png_round_trip_is_lossless() throws {
        let image = ImageFixtures.picture(width: 37, height: 21)
        let decoded = try PNGCodec.decode(PNGCodec.encode(image))
        #expect(decoded == image)
    }

    @Test func jpeg_round_trip_keeps_size_and_colours() throws {
        let image = ImageFixtures.picture(width: 160, height: 96)
        let data = try JPEGCodec.encode(image, quality: 92)
        #expect(data.starts(with: [0xFF, 0xD8, 0xFF]))
        let decoded = try JPEGCodec.decode(data)
        #expect(decoded.width == 160 && decoded.height == 96)
        let centre = decoded[80, 48]
        #expect(abs(Int(centre.r) - 0xC0) < 12 && centre.g < 40 && centre.b < 40)
    }

    @Test func jpeg_decode_scales_down_to_at_least_max_dimension() throws {
        let data = try JPEGCodec.encode(ImageFixtures.picture(width: 800, height: 400))
        let small = try JPEGCodec.decode(data, maxDimension: 100)
        #expect(small.width == 100 && small.height == 50)  // 1/8
        let mid = try JPEGCodec.decode(data, maxDimension: 300)
        #expect(mid.width >= 300 && mid.width < 800)
        #expect(try JPEGCodec.decode(data, maxDimension: 5000).width == 800)
    }

    @Test func garbage_is_an_error_not_a_crash() {
        #expect(throws: (any Error).self) { try JPEGCodec.decode(ImageFixtures.pdf) }
        #expect(throws: (any Error).self) { try PNGCodec.decode(ImageFixtures.pdf) }
        #expect(throws: ImageCodecError.self) { try JPEGCodec.encode(RGBImage(width: 0, height: 5)) }
    }

    @Test func box_downscale_averages_and_fill_clips() {
        var image = RGBImage(width: 4, height: 2, color: .black)
        image.fillRect(PixelRect(x: 2, y: -5, width: 100, height: 100), color: .white)
        #expect(image[3, 1] == .white && image[1, 1] == .black)
        let one = image.scaled(width: 1, height: 1)
        #expect(one[0, 0] == RGBColor(128, 128, 128))
        let wide = image.scaled(width: 8, height: 2)
        #expect(wide[7, 0] == .white && wide[0, 0] == .black)
    }

    @Test func gradients_blend_stroke_and_draw_stay_inside() {
        var image = RGBImage(width: 50, height: 30)
        image.fillDiagonalGradient(image.bounds, start: .black, end: .white)
        #expect(image[0, 0].r < 10 && image[49, 29].r > 245)
        image.fillVerticalGradient(PixelRect(x: -10, y: -10, width: 80, height: 60), top: .white, bottom: .black)
        image.blendRect(PixelRect(x: 40, y: 20, width: 99, height: 99), color: .white, alpha: 0.5)
        image.strokeRect(PixelRect(x: 0, y: 0, width: 50, height: 30), color: RGBColor(hex: 0xFF0000), thickness: 3)
        #expect(image[1, 1] == RGBColor(hex: 0xFF0000) && image[3, 3] != RGBColor(hex: 0xFF0000))
        image.draw(ImageFixtures.picture(), in: PixelRect(x: 30, y: 10, width: 40, height: 40))
        #expect(image.pixels.count == 50 * 30 * 3)
    }
}
