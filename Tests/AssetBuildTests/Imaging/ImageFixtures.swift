import Foundation
@testable import AssetBuildCore

/// Image bytes built in code: real files from our encoders, hand-made headers for the rest.
enum ImageFixtures {
    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    static func le32(_ v: Int) -> [UInt8] { le16(v & 0xFFFF) + le16(v >> 16 & 0xFFFF) }
    static func be16(_ v: Int) -> [UInt8] { le16(v).reversed() }
    static func be32(_ v: Int) -> [UInt8] { le32(v).reversed() }

    /// A small picture with structure (a gradient and a block) so codecs have something to keep.
    static func picture(width: Int = 64, height: Int = 48) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        image.fillVerticalGradient(image.bounds, top: RGBColor(hex: 0x2060C0), bottom: RGBColor(hex: 0xF0E0A0))
        image.fillRect(PixelRect(x: width / 4, y: height / 4, width: width / 2, height: height / 2), color: RGBColor(hex: 0xC02020))
        return image
    }

    static func png(width: Int = 64, height: Int = 48) -> Data { try! PNGCodec.encode(picture(width: width, height: height)) }
    static func jpeg(width: Int = 64, height: Int = 48) -> Data { try! JPEGCodec.encode(picture(width: width, height: height)) }

    static func gif(width: Int, height: Int) -> Data {
        Data(Array("GIF89a".utf8) + le16(width) + le16(height) + [0xF7, 0, 0])
    }

    static func bmp(width: Int, height: Int, core: Bool = false) -> Data {
        let file: [UInt8] = Array("BM".utf8) + le32(0) + le32(0) + le32(54)
        if core { return Data(file + le32(12) + le16(width) + le16(height) + le16(1) + le16(24)) }
        return Data(file + le32(40) + le32(width) + le32(height) + le16(1) + le16(24) + [UInt8](repeating: 0, count: 24))
    }

    static func webpLossy(width: Int, height: Int) -> Data {
        let frame: [UInt8] = [0x30, 0x01, 0x00, 0x9D, 0x01, 0x2A] + le16(width) + le16(height)
        return Data(Array("RIFF".utf8) + le32(4 + 8 + frame.count) + Array("WEBP".utf8) + Array("VP8 ".utf8)
            + le32(frame.count) + frame)
    }

    static func webpLossless(width: Int, height: Int) -> Data {
        let bits = (width - 1) | (height - 1) << 14
        return Data(Array("RIFF".utf8) + le32(0) + Array("WEBP".utf8) + Array("VP8L".utf8) + le32(5) + [0x2F] + le32(bits))
    }

    static func webpExtended(width: Int, height: Int) -> Data {
        let w = width - 1, h = height - 1
        return Data(Array("RIFF".utf8) + le32(0) + Array("WEBP".utf8) + Array("VP8X".utf8) + le32(10)
            + [0x10, 0, 0, 0] + [UInt8(w & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w >> 16 & 0xFF)]
            + [UInt8(h & 0xFF), UInt8(h >> 8 & 0xFF), UInt8(h >> 16 & 0xFF)])
    }

    /// A classic TIFF: two IFD entries (width as SHORT or LONG, height LONG) after an unrelated tag.
    static func tiff(width: Int, height: Int, bigEndian: Bool, widthAsShort: Bool) -> Data {
        let u16 = bigEndian ? be16 : le16, u32 = bigEndian ? be32 : le32
        var bytes: [UInt8] = bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]
        bytes += u16(42) + u32(8) + u16(3)
        bytes += u16(254) + u16(4) + u32(1) + u32(0)  // NewSubfileType
        bytes += u16(256) + (widthAsShort ? u16(3) + u32(1) + u16(width) + u16(0) : u16(4) + u32(1) + u32(width))
        bytes += u16(257) + u16(4) + u32(1) + u32(height)
        return Data(bytes + u32(0))
    }

    /// A little-endian BigTIFF with LONG8 width and SHORT height.
    static func bigTIFF(width: Int, height: Int) -> Data {
        var bytes: [UInt8] = [0x49, 0x49] + le16(43) + le16(8) + le16(0) + le32(16) + le32(0)
        bytes += le32(2) + le32(0)  // 2 entries, u64
        bytes += le16(256) + le16(16) + le32(1) + le32(0) + le32(width) + le32(0)
        bytes += le16(257) + le16(3) + le32(1) + le32(0) + le16(height) + le16(0) + le32(0)
        return Data(bytes + le32(0) + le32(0))
    }

    /// A JPEG whose SOF sits after an APP1 segment, fill bytes and a DHT (C4, not a frame header).
    static func jpegWithDetours(width: Int, height: Int, sof: UInt8 = 0xC2) -> Data {
        var bytes: [UInt8] = [0xFF, 0xD8]
        bytes += [0xFF, 0xE1] + be16(2 + 1000) + [UInt8](repeating: 0x45, count: 1000)
        bytes += [0xFF, 0xFF, 0xFF, 0xC4] + be16(2 + 3) + [0, 1, 2]
        bytes += [0xFF, 0xCC] + be16(4) + [0, 0]
        bytes += [0xFF, sof] + be16(17) + [8] + be16(height) + be16(width) + [3] + [UInt8](repeating: 0x11, count: 9)
        return Data(bytes + [0xFF, 0xD9])
    }

    static let pdf = Data("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n".utf8)
}
