import Foundation
import Testing
@testable import AssetBuildCore
@testable import AssetBuildDerive

/// Sizes, fits, crops and formats, each read back from the output bytes.
@Suite struct DeriveSizeTests {
    @Test(arguments: DeriveFormat.allCases)
    func every_format_has_its_size_and_format_in_its_bytes(_ format: DeriveFormat) throws {
        let source = DeriveFixtures.photo(width: 400, height: 300)
        for (size, expected) in [(DeriveSize.exact(width: 120, height: 90), (120, 90)),
                                 (.exact(width: 64, height: 128), (64, 128)),
                                 (.width(100), (100, 75)),
                                 (.height(60), (80, 60))] {
            let out = try ImageDeriver.derive(source, spec: DeriveSpec(size: size, format: format, quality: 70))
            let info = try DerivedImageReader.info(out)
            #expect(info.format == format, "\(size)")
            #expect(info.width == expected.0 && info.height == expected.1, "\(size): \(info.width)x\(info.height)")
            #expect(!info.hasAlpha)
        }
    }

    @Test func the_issue_sizes_come_out_exact() throws {
        let source = DeriveFixtures.photo(width: 1024, height: 576)
        let cases: [(DeriveSpec, Int, Int)] = [
            (DeriveSpec(size: .exact(width: 1200, height: 630), format: .jpeg, quality: 85), 1200, 630),
            (DeriveSpec(size: .exact(width: 1080, height: 1080), crop: .attention, format: .webp, quality: 80), 1080, 1080),
            (DeriveSpec(size: .exact(width: 1080, height: 1920), fit: .contain, format: .jpeg,
                        background: DeriveColor(hex: "#0FB5AE")), 1080, 1920),
            (DeriveSpec(size: .width(320), format: .png), 320, 180),
        ]
        for (spec, w, h) in cases {
            let info = try DerivedImageReader.info(ImageDeriver.derive(source, spec: spec))
            #expect(info.width == w && info.height == h && info.format == spec.format, "\(spec.size)")
        }
    }

    @Test func metadata_is_stripped() throws {
        let source = DeriveFixtures.withExif(DeriveFixtures.photo())
        #expect(try DerivedImageReader.info(source).hasMetadata)
        for format in DeriveFormat.allCases {
            let out = try ImageDeriver.derive(source, spec: DeriveSpec(size: .width(100), format: format))
            #expect(try !DerivedImageReader.info(out).hasMetadata, "\(format)")
        }
    }

    /// Four stripes A B C D across a 2:1 source, fitted into a square.
    private let stripes = DeriveFixtures.stripes([DeriveFixtures.red, DeriveFixtures.green, DeriveFixtures.blue,
                                                  DeriveFixtures.yellow], width: 400, height: 200)

    private func square(_ fit: DeriveFit, crop: DeriveCrop = .centre, background: DeriveColor? = nil) throws -> DecodedImage {
        try DecodedImage(ImageDeriver.derive(stripes, spec: DeriveSpec(
            size: .exact(width: 100, height: 100), fit: fit, crop: crop, format: .png, background: background)))
    }

    @Test func cover_fills_the_square_and_crops_the_sides() throws {
        let out = try square(.cover)
        #expect(out.width == 100 && out.height == 100)
        // The 200x100 scaled stripes, centre 100 kept: green then blue, red and yellow cut.
        #expect(out.isClose(x: 10, y: 50, to: DeriveFixtures.green))
        #expect(out.isClose(x: 90, y: 50, to: DeriveFixtures.blue))
        #expect(out.isClose(x: 50, y: 5, to: DeriveFixtures.green) || out.isClose(x: 50, y: 5, to: DeriveFixtures.blue))
    }

    @Test func cover_with_a_gravity_keeps_that_side() throws {
        let west = try square(.cover, crop: .gravity(.west))
        #expect(west.isClose(x: 10, y: 50, to: DeriveFixtures.red) && west.isClose(x: 90, y: 50, to: DeriveFixtures.green))
        let east = try square(.cover, crop: .gravity(.southEast))
        #expect(east.isClose(x: 10, y: 50, to: DeriveFixtures.blue) && east.isClose(x: 90, y: 50, to: DeriveFixtures.yellow))
        // A north gravity on a source cropped across its width: its horizontal part is centred.
        let north = try square(.cover, crop: .gravity(.north))
        #expect(north.isClose(x: 10, y: 50, to: DeriveFixtures.green))
    }

    @Test func contain_letterboxes_on_the_background() throws {
        let out = try square(.contain, background: DeriveColor(hex: "#0FB5AE"))
        #expect(out.width == 100 && out.height == 100)
        let teal = RGBColor(0x0F, 0xB5, 0xAE)
        #expect(out.isClose(x: 50, y: 5, to: teal, tolerance: 2) && out.isClose(x: 50, y: 94, to: teal, tolerance: 2))
        // The whole source, 100x50, in the middle band: all four stripes.
        #expect(out.isClose(x: 10, y: 50, to: DeriveFixtures.red) && out.isClose(x: 90, y: 50, to: DeriveFixtures.yellow))
        #expect(out[50, 50].a == 255)
    }

    @Test func contain_on_a_transparent_background_keeps_alpha() throws {
        let out = try square(.contain, background: DeriveColor(hex: "#00000000"))
        #expect(out[50, 5].a == 0 && out[50, 50].a == 255)
    }

    @Test func fill_stretches_the_whole_source() throws {
        let out = try square(.fill)
        #expect(out.width == 100 && out.height == 100)
        #expect(out.isClose(x: 10, y: 5, to: DeriveFixtures.red) && out.isClose(x: 90, y: 95, to: DeriveFixtures.yellow))
    }

    @Test func inside_keeps_the_aspect_without_a_canvas() throws {
        let out = try square(.inside)
        #expect(out.width == 100 && out.height == 50)
        #expect(out.isClose(x: 10, y: 25, to: DeriveFixtures.red) && out.isClose(x: 90, y: 25, to: DeriveFixtures.yellow))
    }

    @Test func one_side_keeps_the_aspect() throws {
        let wide = try DerivedImageReader.info(ImageDeriver.derive(stripes, spec: DeriveSpec(size: .width(320), format: .png)))
        #expect(wide.width == 320 && wide.height == 160)
        let tall = try DerivedImageReader.info(ImageDeriver.derive(stripes, spec: DeriveSpec(size: .height(30), format: .webp)))
        #expect(tall.width == 60 && tall.height == 30)
    }

    @Test func attention_keeps_an_off_centre_subject() throws {
        // Dull grey noise with one saturated, high-contrast object near the right edge.
        var image = DeriveFixtures.noise(width: 600, height: 300)
        image.fillRect(PixelRect(x: 470, y: 110, width: 80, height: 80), color: DeriveFixtures.red)
        image.fillRect(PixelRect(x: 490, y: 130, width: 40, height: 40), color: DeriveFixtures.yellow)
        let source = try PNGCodec.encode(image)
        func reds(_ crop: DeriveCrop) throws -> Int {
            let out = try DecodedImage(ImageDeriver.derive(source, spec: DeriveSpec(
                size: .exact(width: 100, height: 100), crop: crop, format: .png)))
            return out.count { $0.r > 180 && $0.g < 80 && $0.b < 80 }
        }
        // Scaled to 200x100, the object spans x 157…183: outside a centre crop (50…150).
        #expect(try reds(.centre) == 0)
        #expect(try reds(.attention) > 200)
    }
}
