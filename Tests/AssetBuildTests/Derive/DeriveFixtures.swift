import Foundation
@testable import AssetBuildCore
@testable import AssetBuildDerive

/// Source images for derivation tests, made in code with the project's own codecs, and pixel
/// access to outputs decoded by libvips (never read from the spec).
enum DeriveFixtures {
    static let red = RGBColor(230, 20, 20)
    static let green = RGBColor(20, 200, 40)
    static let blue = RGBColor(20, 40, 230)
    static let yellow = RGBColor(240, 220, 20)

    /// Vertical stripes of equal width, left to right.
    static func stripes(_ colors: [RGBColor], width: Int, height: Int) -> Data {
        var image = RGBImage(width: width, height: height)
        let w = width / colors.count
        for (i, c) in colors.enumerated() {
            image.fillRect(PixelRect(x: i * w, y: 0, width: w, height: height), color: c)
        }
        return try! PNGCodec.encode(image)
    }

    static func solid(_ color: RGBColor, width: Int, height: Int) -> Data {
        try! PNGCodec.encode(RGBImage(width: width, height: height, color: color))
    }

    /// Low-contrast grey noise (deterministic), like a dull background.
    static func noise(width: Int, height: Int, seed: UInt64 = 7) -> RGBImage {
        var state = seed
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for p in 0..<width * height {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let v = UInt8(110 + Int(state >> 59))  // 110…141
            pixels[p * 3] = v
            pixels[p * 3 + 1] = v
            pixels[p * 3 + 2] = v
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// A photo-like JPEG (a gradient and a block) of the given size.
    static func photo(width: Int = 400, height: Int = 300) -> Data {
        var image = RGBImage(width: width, height: height)
        image.fillVerticalGradient(image.bounds, top: RGBColor(hex: 0x2060C0), bottom: RGBColor(hex: 0xF0E0A0))
        image.fillRect(PixelRect(x: width / 4, y: height / 4, width: width / 2, height: height / 2), color: RGBColor(hex: 0xC02020))
        return try! JPEGCodec.encode(image)
    }

    /// `jpeg` with an EXIF block (a minimal little-endian TIFF with an empty IFD) after SOI.
    static func withExif(_ jpeg: Data) -> Data {
        let tiff: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        let app1: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
        return Data(jpeg.prefix(2)) + Data(app1) + Data(jpeg.dropFirst(2))
    }

    /// An SVG of one rectangle filling its `width`×`height` canvas.
    static func svgRect(width: Int, height: Int, fill: String) -> Data {
        Data("""
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)">\
        <rect x="0" y="0" width="\(width)" height="\(height)" fill="\(fill)"/></svg>
        """.utf8)
    }
}

/// Decoded output pixels, for checks at known coordinates.
struct DecodedImage {
    let width: Int
    let height: Int
    let pixels: [UInt8]

    init(_ data: Data) throws {
        (width, height, pixels) = try DerivedImageReader.rgba(data)
    }

    /// (r, g, b, a) at (x, y).
    subscript(x: Int, y: Int) -> (r: Int, g: Int, b: Int, a: Int) {
        let i = (y * width + x) * 4
        return (Int(pixels[i]), Int(pixels[i + 1]), Int(pixels[i + 2]), Int(pixels[i + 3]))
    }

    /// Whether the pixel at (x, y) is within `tolerance` of `color` on every channel.
    func isClose(x: Int, y: Int, to color: RGBColor, tolerance: Int = 12) -> Bool {
        let p = self[x, y]
        return abs(p.r - Int(color.r)) <= tolerance && abs(p.g - Int(color.g)) <= tolerance && abs(p.b - Int(color.b)) <= tolerance
    }

    /// The bounding box (min x, min y, max x, max y) of the pixels matching `predicate`, or nil.
    func bounds(where predicate: ((r: Int, g: Int, b: Int, a: Int)) -> Bool) -> (minX: Int, minY: Int, maxX: Int, maxY: Int)? {
        var box: (Int, Int, Int, Int)?
        for y in 0..<height {
            for x in 0..<width where predicate(self[x, y]) {
                if let b = box {
                    box = (min(b.0, x), min(b.1, y), max(b.2, x), max(b.3, y))
                } else {
                    box = (x, y, x, y)
                }
            }
        }
        return box.map { (minX: $0.0, minY: $0.1, maxX: $0.2, maxY: $0.3) }
    }

    /// How many pixels match `predicate`.
    func count(where predicate: ((r: Int, g: Int, b: Int, a: Int)) -> Bool) -> Int {
        var n = 0
        for y in 0..<height {
            for x in 0..<width where predicate(self[x, y]) { n += 1 }
        }
        return n
    }
}
