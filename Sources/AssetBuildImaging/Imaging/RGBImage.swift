import Foundation
import AssetBuildSupport
import AssetBuildCatalog

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
