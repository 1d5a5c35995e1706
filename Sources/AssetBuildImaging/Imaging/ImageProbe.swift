import Foundation
import AssetBuildSupport
import AssetBuildCatalog

/// Reads the format and pixel dimensions of an image from its header bytes alone, without decoding
/// pixels or calling a C library. Every read is bounds-checked: data that ends early gives
/// `.truncated`, never a crash.
public enum ImageProbe {
    /// Probes `data`. A recognised signature followed by a broken header is `.invalid` or `.truncated`;
    /// anything else (text, PDF, an empty file) is `.unknownFormat`.
    public static func probe(_ data: Data) throws(ImageProbeError) -> ImageInfo {
        let bytes = HeaderBytes(data)
        let info: ImageInfo
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            info = try probePNG(bytes)
        } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            info = try probeJPEG(bytes)
        } else if bytes.starts(with: Array("RIFF".utf8)), bytes.matches(Array("WEBP".utf8), at: 8) {
            info = try probeWebP(bytes)
        } else if bytes.starts(with: Array("RIFF".utf8)), bytes.count < 12 {
            throw .truncated  // a RIFF file cut before its form type
        } else if bytes.starts(with: Array("GIF87a".utf8)) || bytes.starts(with: Array("GIF89a".utf8)) {
            info = ImageInfo(format: .gif, width: try bytes.u16le(6), height: try bytes.u16le(8))
        } else if bytes.starts(with: Array("BM".utf8)) {
            info = try probeBMP(bytes)
        } else if bytes.starts(with: [0x49, 0x49]) || bytes.starts(with: [0x4D, 0x4D]) {
            info = try probeTIFF(bytes)
        } else if bytes.isPrefixOfASignature {
            throw .truncated
        } else {
            throw .unknownFormat
        }
        guard info.width > 0, info.height > 0 else {
            throw .invalid("\(info.format.rawValue) with zero width or height")
        }
        return info
    }

    /// `probe`, plus a cheap check that the whole file is there: a PNG must hold its IEND chunk and
    /// a JPEG its end-of-image marker after the frame header. No pixel is decoded; a reference cut
    /// short (an interrupted download) is caught before it is sent. Other formats: header only.
    public static func probeWhole(_ data: Data) throws(ImageProbeError) -> ImageInfo {
        let info = try probe(data)
        switch info.format {
        case .png:
            // IEND is the last chunk: length 0, type, CRC. Data after it (rare) is tolerated.
            let iend = Data([0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82])
            guard data.count >= 33 + iend.count,
                  data.range(of: iend, options: .backwards, in: (data.startIndex + 33)..<data.endIndex) != nil else {
                throw .incomplete("the png has no IEND chunk at its end")
            }
        case .jpeg:
            // In entropy-coded data FF is always followed by 00 or a restart marker, so FF D9 after
            // the frame header is the end of the image (trailing data after it, as in motion
            // photos, is tolerated). An EXIF thumbnail's own EOI comes before the frame.
            let frame = (try? jpegFrameOffset(HeaderBytes(data))) ?? 2
            guard data.range(of: Data([0xFF, 0xD9]), in: (data.startIndex + frame)..<data.endIndex) != nil else {
                throw .incomplete("the jpeg has no end-of-image marker")
            }
        default:
            break
        }
        return info
    }

    /// PNG: the first chunk must be IHDR, holding big-endian width and height.
    private static func probePNG(_ b: HeaderBytes) throws(ImageProbeError) -> ImageInfo {
        guard b.count >= 24 else { throw .truncated }
        guard b.matches(Array("IHDR".utf8), at: 12) else { throw .invalid("png without an ihdr chunk first") }
        return ImageInfo(format: .png, width: try b.u32be(16), height: try b.u32be(20))
    }

    /// JPEG: walks the marker segments to the first start-of-frame (SOF0…SOF15 except DHT C4, JPG C8
    /// and DAC CC), skipping fill bytes and the standalone markers that carry no length.
    private static func probeJPEG(_ b: HeaderBytes) throws(ImageProbeError) -> ImageInfo {
        let pos = try jpegFrameOffset(b)
        return ImageInfo(format: .jpeg, width: try b.u16be(pos + 5), height: try b.u16be(pos + 3))
    }

    /// The offset of the first start-of-frame segment's length field.
    private static func jpegFrameOffset(_ b: HeaderBytes) throws(ImageProbeError) -> Int {
        var pos = 2
        while true {
            guard try b.u8(pos) == 0xFF else { throw .invalid("jpeg marker expected at byte \(pos)") }
            var marker = try b.u8(pos + 1)
            pos += 1
            while marker == 0xFF {  // fill bytes before the marker code
                pos += 1
                marker = try b.u8(pos)
            }
            pos += 1
            switch marker {
            case 0x01, 0xD0...0xD8:
                continue  // TEM, RSTn and SOI stand alone
            case 0xD9:
                throw .invalid("jpeg ends before its frame header")
            case 0xDA:
                throw .invalid("jpeg scan starts before its frame header")
            case 0xC0...0xCF where marker != 0xC4 && marker != 0xC8 && marker != 0xCC:
                // length(2) precision(1) height(2) width(2)
                return pos
            default:
                let length = try b.u16be(pos)
                guard length >= 2 else { throw .invalid("jpeg segment with length \(length)") }
                pos += length
            }
        }
    }

    /// WebP: a RIFF container whose first chunk is lossy `VP8 `, lossless `VP8L` or extended `VP8X`.
    private static func probeWebP(_ b: HeaderBytes) throws(ImageProbeError) -> ImageInfo {
        guard b.count >= 16 else { throw .truncated }
        if b.matches(Array("VP8 ".utf8), at: 12) {
            // frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height
            guard b.count >= 30 else { throw .truncated }
            guard b.matches([0x9D, 0x01, 0x2A], at: 23) else { throw .invalid("webp vp8 frame without its start code") }
            return ImageInfo(format: .webp, width: try b.u16le(26) & 0x3FFF, height: try b.u16le(28) & 0x3FFF)
        } else if b.matches(Array("VP8L".utf8), at: 12) {
            guard try b.u8(20) == 0x2F else { throw .invalid("webp vp8l without its signature byte") }
            let bits = try b.u32le(21)
            return ImageInfo(format: .webp, width: (bits & 0x3FFF) + 1, height: ((bits >> 14) & 0x3FFF) + 1)
        } else if b.matches(Array("VP8X".utf8), at: 12) {
            return ImageInfo(format: .webp, width: try b.u24le(24) + 1, height: try b.u24le(27) + 1)
        }
        throw .invalid("webp whose first chunk is not vp8, vp8l or vp8x")
    }

    /// BMP: a 12-byte core header has unsigned 16-bit dimensions; the info headers (40 bytes and up)
    /// have signed 32-bit ones, where a negative height means the rows are stored top-down.
    private static func probeBMP(_ b: HeaderBytes) throws(ImageProbeError) -> ImageInfo {
        let headerSize = try b.u32le(14)
        if headerSize == 12 {
            return ImageInfo(format: .bmp, width: try b.u16le(18), height: try b.u16le(20))
        }
        guard headerSize >= 40 else { throw .invalid("bmp with a \(headerSize)-byte header") }
        let width = Int(Int32(truncatingIfNeeded: try b.u32le(18)))
        let height = Int(Int32(truncatingIfNeeded: try b.u32le(22)))
        guard width > 0 else { throw .invalid("bmp with width \(width)") }
        return ImageInfo(format: .bmp, width: width, height: abs(height))
    }

    /// TIFF and BigTIFF: the first IFD's ImageWidth (256) and ImageLength (257) tags, stored as
    /// SHORT, LONG or (BigTIFF) LONG8 in the file's byte order.
    private static func probeTIFF(_ b: HeaderBytes) throws(ImageProbeError) -> ImageInfo {
        let little = b.starts(with: [0x49, 0x49])
        let version = try little ? b.u16le(2) : b.u16be(2)
        let big = version == 43
        guard version == 42 || big else {
            if b.count < 4 { throw .truncated }
            throw .unknownFormat  // "II"/"MM" alone is not enough to call it a TIFF
        }
        func u16(_ at: Int) throws(ImageProbeError) -> Int { try little ? b.u16le(at) : b.u16be(at) }
        func u32(_ at: Int) throws(ImageProbeError) -> Int { try little ? b.u32le(at) : b.u32be(at) }
        func u64(_ at: Int) throws(ImageProbeError) -> Int {
            let lo = try u32(at + (little ? 0 : 4)), hi = try u32(at + (little ? 4 : 0))
            guard hi < 0x7FFF_FFFF else { throw .invalid("tiff offset out of range") }
            return hi << 32 | lo
        }
        let ifd: Int, count: Int, entrySize: Int, first: Int
        if big {
            guard try u16(4) == 8, try u16(6) == 0 else { throw .invalid("bigtiff with an unexpected offset size") }
            ifd = try u64(8)
            count = try u64(ifd)
            (entrySize, first) = (20, ifd + 8)
        } else {
            ifd = try u32(4)
            count = try u16(ifd)
            (entrySize, first) = (12, ifd + 2)
        }
        guard count < 65_536 else { throw .invalid("tiff directory with \(count) entries") }
        var width: Int?, height: Int?
        for index in 0..<count where width == nil || height == nil {
            let entry = first + index * entrySize
            let tag = try u16(entry)
            guard tag == 256 || tag == 257 else { continue }
            let valueAt = entry + (big ? 12 : 8)
            let value: Int
            switch try u16(entry + 2) {
            case 3: value = try u16(valueAt)
            case 4: value = try u32(valueAt)
            case 16 where big: value = try u64(valueAt)
            case let type: throw .invalid("tiff dimension tag \(tag) has type \(type)")
            }
            if tag == 256 { width = value } else { height = value }
        }
        guard let width, let height else { throw .invalid("tiff without image width and length tags") }
        return ImageInfo(format: .tiff, width: width, height: height)
    }
}

/// Bounds-checked big- and little-endian reads over the first bytes of a file.
/// Invariant: every accessor either returns a value read inside `bytes` or throws `.truncated`.
private struct HeaderBytes {
    package let bytes: [UInt8]
    package var count: Int { bytes.count }

    package init(_ data: Data) { bytes = [UInt8](data) }

    /// Signatures the dispatcher knows; a shorter input that is a prefix of one is truncated, not unknown.
    package static let signatures: [[UInt8]] = [
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF], Array("RIFF".utf8),
        Array("GIF87a".utf8), Array("GIF89a".utf8), Array("BM".utf8),
        [0x49, 0x49, 0x2A, 0x00], [0x4D, 0x4D, 0x00, 0x2A], [0x49, 0x49, 0x2B, 0x00], [0x4D, 0x4D, 0x00, 0x2B],
    ]

    package var isPrefixOfASignature: Bool {
        !bytes.isEmpty && Self.signatures.contains { $0.count > bytes.count && $0.starts(with: bytes) }
    }

    package func starts(with prefix: [UInt8]) -> Bool { matches(prefix, at: 0) }

    package func matches(_ pattern: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset + pattern.count <= bytes.count else { return false }
        for (i, byte) in pattern.enumerated() where bytes[offset + i] != byte { return false }
        return true
    }

    package func u8(_ at: Int) throws(ImageProbeError) -> Int {
        guard at >= 0, at < bytes.count else { throw .truncated }
        return Int(bytes[at])
    }

    package func u16be(_ at: Int) throws(ImageProbeError) -> Int { try u8(at) << 8 | u8(at + 1) }
    package func u16le(_ at: Int) throws(ImageProbeError) -> Int { try u8(at + 1) << 8 | u8(at) }
    package func u24le(_ at: Int) throws(ImageProbeError) -> Int { try u8(at + 2) << 16 | u16le(at) }
    package func u32be(_ at: Int) throws(ImageProbeError) -> Int { try u16be(at) << 16 | u16be(at + 2) }
    package func u32le(_ at: Int) throws(ImageProbeError) -> Int { try u16le(at + 2) << 16 | u16le(at) }
}
