import Foundation

/// An 8-bit sRGB colour.
public struct RGBColor: Sendable, Hashable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// `0xRRGGBB`.
    public init(hex: UInt32) {
        self.init(UInt8(truncatingIfNeeded: hex >> 16), UInt8(truncatingIfNeeded: hex >> 8), UInt8(truncatingIfNeeded: hex))
    }

    public static let black = RGBColor(0, 0, 0)
    public static let white = RGBColor(255, 255, 255)

    /// Relative luminance in 0…1 (Rec. 709 weights on the encoded values; good enough to pick a text colour).
    public var luminance: Double { (0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b)) / 255 }

    /// `self` moved towards `other` by `amount` (0 gives `self`, 1 gives `other`).
    public func mixed(with other: RGBColor, amount: Double) -> RGBColor {
        let t = min(max(amount, 0), 1)
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) + (Double(b) - Double(a)) * t).rounded()) }
        return RGBColor(mix(r, other.r), mix(g, other.g), mix(b, other.b))
    }

    /// `#rrggbb`.
    public var hexString: String {
        "#" + [r, g, b].map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}

/// A pixel rectangle; `x`/`y` may be negative and the size may exceed an image (drawing clips).
public struct PixelRect: Sendable, Hashable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public var isEmpty: Bool { width <= 0 || height <= 0 }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

    /// The part of `self` inside `other`; empty (zero size) when they do not overlap.
    public func intersection(_ other: PixelRect) -> PixelRect {
        let x0 = max(x, other.x), y0 = max(y, other.y)
        let x1 = min(maxX, other.maxX), y1 = min(maxY, other.maxY)
        return PixelRect(x: x0, y: y0, width: max(0, x1 - x0), height: max(0, y1 - y0))
    }

    /// `self` shrunk by `d` on every side (never below zero size).
    public func insetBy(_ d: Int) -> PixelRect {
        PixelRect(x: x + d, y: y + d, width: max(0, width - 2 * d), height: max(0, height - 2 * d))
    }
}

/// An 8-bit RGB raster, row-major with no padding.
/// Invariant: `width >= 0`, `height >= 0` and `pixels.count == width * height * 3`.
/// Drawing operations clip to the image and never trap on out-of-range rectangles.
public struct RGBImage: Sendable, Hashable {
    public let width: Int
    public let height: Int
    public internal(set) var pixels: [UInt8]

    /// A `width`×`height` image filled with `color`.
    public init(width: Int, height: Int, color: RGBColor = .black) {
        precondition(width >= 0 && height >= 0, "negative image size")
        self.width = width
        self.height = height
        if color.r == color.g && color.g == color.b {
            pixels = [UInt8](repeating: color.r, count: width * height * 3)
        } else {
            pixels = [UInt8](repeating: 0, count: width * height * 3)
            fill(color)
        }
    }

    /// Wraps existing RGB8 pixels; `pixels.count` must be `width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3, "pixel count does not match size")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public var bounds: PixelRect { PixelRect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> RGBColor {
        get {
            let i = (y * width + x) * 3
            return RGBColor(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = (y * width + x) * 3
            pixels[i] = newValue.r
            pixels[i + 1] = newValue.g
            pixels[i + 2] = newValue.b
        }
    }

    /// The part of the image inside `rect` (clipped; may be empty), copied row by row.
    public func cropped(to rect: PixelRect) -> RGBImage {
        let r = rect.intersection(bounds)
        var out = RGBImage(width: r.width, height: r.height)
        out.draw(self, atX: -r.x, y: -r.y)
        return out
    }

    /// The mean colour of the image (black when empty); used by tests and to pick contrasting text.
    public var averageColor: RGBColor {
        guard !pixels.isEmpty else { return .black }
        var sums: (Int, Int, Int) = (0, 0, 0)
        pixels.withUnsafeBufferPointer { p in
            var i = 0
            let n = p.count
            while i < n {
                sums.0 &+= Int(p[i]); sums.1 &+= Int(p[i + 1]); sums.2 &+= Int(p[i + 2])
                i += 3
            }
        }
        let n = width * height
        return RGBColor(UInt8(sums.0 / n), UInt8(sums.1 / n), UInt8(sums.2 / n))
    }
}
