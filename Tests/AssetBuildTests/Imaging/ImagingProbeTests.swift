import Foundation
import Testing
@testable import AssetBuildCore

@Suite struct ImagingProbeTests {
    @Test func reads_png_and_jpeg_made_by_our_encoders() throws {
        #expect(try ImageProbe.probe(ImageFixtures.png(width: 300, height: 200)) == ImageInfo(format: .png, width: 300, height: 200))
        #expect(try ImageProbe.probe(ImageFixtures.jpeg(width: 123, height: 45)) == ImageInfo(format: .jpeg, width: 123, height: 45))
    }

    @Test func walks_jpeg_markers_past_app_segments_fill_bytes_and_dht() throws {
        #expect(try ImageProbe.probe(ImageFixtures.jpegWithDetours(width: 4000, height: 3000)).width == 4000)
        #expect(try ImageProbe.probe(ImageFixtures.jpegWithDetours(width: 640, height: 480, sof: 0xC0)).height == 480)
    }

    @Test func reads_hand_made_headers() throws {
        let cases: [(Data, ImageInfo)] = [
            (ImageFixtures.gif(width: 320, height: 240), ImageInfo(format: .gif, width: 320, height: 240)),
            (ImageFixtures.bmp(width: 640, height: 480), ImageInfo(format: .bmp, width: 640, height: 480)),
            (ImageFixtures.bmp(width: 640, height: -480), ImageInfo(format: .bmp, width: 640, height: 480)),
            (ImageFixtures.bmp(width: 17, height: 9, core: true), ImageInfo(format: .bmp, width: 17, height: 9)),
            (ImageFixtures.webpLossy(width: 1024, height: 768), ImageInfo(format: .webp, width: 1024, height: 768)),
            (ImageFixtures.webpLossless(width: 16383, height: 1), ImageInfo(format: .webp, width: 16383, height: 1)),
            (ImageFixtures.webpExtended(width: 5000, height: 70000), ImageInfo(format: .webp, width: 5000, height: 70000)),
            (ImageFixtures.tiff(width: 800, height: 600, bigEndian: false, widthAsShort: true), ImageInfo(format: .tiff, width: 800, height: 600)),
            (ImageFixtures.tiff(width: 70000, height: 600, bigEndian: true, widthAsShort: false), ImageInfo(format: .tiff, width: 70000, height: 600)),
            (ImageFixtures.bigTIFF(width: 9000, height: 300), ImageInfo(format: .tiff, width: 9000, height: 300)),
        ]
        for (data, expected) in cases {
            #expect(try ImageProbe.probe(data) == expected)
        }
    }

    @Test func a_pdf_renamed_png_or_text_is_not_an_image() {
        #expect(throws: ImageProbeError.unknownFormat) { try ImageProbe.probe(ImageFixtures.pdf) }
        #expect(throws: ImageProbeError.unknownFormat) { try ImageProbe.probe(Data("hello world".utf8)) }
        #expect(throws: ImageProbeError.unknownFormat) { try ImageProbe.probe(Data()) }
        #expect(ImageProbeError.unknownFormat.description == "not an image (the bytes are not jpeg, png, webp, bmp, tiff or gif)")
    }

    @Test func truncated_headers_say_so() {
        let whole: [Data] = [
            ImageFixtures.png(), ImageFixtures.jpegWithDetours(width: 10, height: 10), ImageFixtures.gif(width: 5, height: 5),
            ImageFixtures.bmp(width: 5, height: 5), ImageFixtures.webpLossy(width: 5, height: 5),
            ImageFixtures.tiff(width: 5, height: 5, bigEndian: false, widthAsShort: true), ImageFixtures.bigTIFF(width: 5, height: 5),
        ]
        for data in whole {
            for cut in [3, 9, 20] where cut < data.count - 3 {
                #expect(throws: ImageProbeError.truncated) { try ImageProbe.probe(data.prefix(cut)) }
            }
        }
        #expect(throws: ImageProbeError.truncated) { try ImageProbe.probe(Data([0x89, 0x50, 0x4E])) }
        #expect(throws: ImageProbeError.truncated) { try ImageProbe.probe(ImageFixtures.jpeg().prefix(100)) }
    }

    /// A file cut after its header passes `probe` but not `probeWhole`, which looks for the end
    /// marker without decoding pixels.
    @Test func a_file_cut_after_its_header_is_incomplete() throws {
        let png = ImageFixtures.png(), jpeg = ImageFixtures.jpeg()
        #expect(try ImageProbe.probeWhole(png) == ImageInfo(format: .png, width: 64, height: 48))
        #expect(try ImageProbe.probeWhole(jpeg) == ImageInfo(format: .jpeg, width: 64, height: 48))
        #expect(try ImageProbe.probe(png.prefix(40)).width == 64)
        for cut in [40, png.count / 2, png.count - 1] {
            #expect(throws: ImageProbeError.incomplete("the png has no IEND chunk at its end")) {
                try ImageProbe.probeWhole(png.prefix(cut))
            }
        }
        for cut in [jpeg.count / 2, jpeg.count - 1] {
            #expect(throws: ImageProbeError.incomplete("the jpeg has no end-of-image marker")) {
                try ImageProbe.probeWhole(jpeg.prefix(cut))
            }
        }
        // Bytes after the end marker (a motion photo's video, padding) are not a truncation.
        #expect(try ImageProbe.probeWhole(jpeg + Data(repeating: 0x42, count: 500)).height == 48)
        #expect(try ImageProbe.probeWhole(png + Data([0, 0])).height == 48)
        // A thumbnail's end marker before the frame does not count.
        #expect(try ImageProbe.probeWhole(ImageFixtures.jpegWithDetours(width: 10, height: 10)).width == 10)
        #expect(throws: ImageProbeError.self) { try ImageProbe.probeWhole(ImageFixtures.jpegWithDetours(width: 10, height: 10).dropLast(2)) }
        // Formats without a cheap end check: the header decides.
        #expect(try ImageProbe.probeWhole(ImageFixtures.gif(width: 5, height: 5)).width == 5)
    }

    @Test func broken_headers_are_invalid() {
        var png = [UInt8](ImageFixtures.png())
        png.replaceSubrange(12..<16, with: Array("IDAT".utf8))
        #expect(throws: ImageProbeError.invalid("png without an ihdr chunk first")) { try ImageProbe.probe(Data(png)) }
        #expect(throws: (any Error).self) { try ImageProbe.probe(ImageFixtures.gif(width: 0, height: 5)) }
        let noFrame = Data([0xFF, 0xD8, 0xFF, 0xD9])
        #expect(throws: ImageProbeError.invalid("jpeg ends before its frame header")) { try ImageProbe.probe(noFrame) }
        #expect(ImageProbeError.invalid("x").description == "invalid image header: x")
    }
}
