import Foundation
import AssetBuildSupport
import AssetBuildCatalog

/// Drawing primitives. All of them clip to the image, so any rectangle is safe to pass.
/// Inner loops work on raw pointers and copy whole rows with `memcpy`, because tests and draft
/// renders run in debug builds where per-pixel Swift code is slow.
extension RGBImage {
    /// Sets every pixel to `color`.
    public mutating func fill(_ color: RGBColor) {
        fillRect(bounds, color: color)
    }

    /// Fills `rect` (clipped) with `color`: one row is filled, the others are copies of it.
    public mutating func fillRect(_ rect: PixelRect, color: RGBColor) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        let stride = width * 3
        pixels.withUnsafeMutableBufferPointer { buf in
            let first = buf.baseAddress! + r.y * stride + r.x * 3
            Self.fillPixels(first, count: r.width, color: color)
            for row in 1..<max(1, r.height) {
                memcpy(first + row * stride, first, r.width * 3)
            }
        }
    }

    /// Fills `rect` with a gradient from `top` (first row of `rect`) to `bottom` (last row);
    /// the colour of a row depends on `rect`, not on the clipped part.
    public mutating func fillVerticalGradient(_ rect: PixelRect, top: RGBColor, bottom: RGBColor) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        let stride = width * 3
        let span = Double(max(1, rect.height - 1))
        pixels.withUnsafeMutableBufferPointer { buf in
            for y in r.y..<r.maxY {
                let color = top.mixed(with: bottom, amount: Double(y - rect.y) / span)
                Self.fillPixels(buf.baseAddress! + y * stride + r.x * 3, count: r.width, color: color)
            }
        }
    }

    /// Fills `rect` with a gradient from `start` at its top-left corner to `end` at its bottom-right
    /// corner. The colour is a function of `x/width + y/height`, so each row is a shifted window of one
    /// precomputed strip of `2 * width` pixels and is drawn with a single `memcpy`.
    public mutating func fillDiagonalGradient(_ rect: PixelRect, start: RGBColor, end: RGBColor) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        let stripCount = 2 * rect.width
        var strip = [UInt8](repeating: 0, count: stripCount * 3)
        let span = Double(max(1, stripCount - 1))
        let (dr, dg, db) = (Double(end.r) - Double(start.r), Double(end.g) - Double(start.g), Double(end.b) - Double(start.b))
        strip.withUnsafeMutableBufferPointer { s in
            let p = s.baseAddress!
            for k in 0..<stripCount {
                let t = Double(k) / span
                p[k * 3] = UInt8(Double(start.r) + dr * t)
                p[k * 3 + 1] = UInt8(Double(start.g) + dg * t)
                p[k * 3 + 2] = UInt8(Double(start.b) + db * t)
            }
        }
        let stride = width * 3
        strip.withUnsafeBufferPointer { s in
            pixels.withUnsafeMutableBufferPointer { buf in
                for y in r.y..<r.maxY {
                    let shift = (y - rect.y) * rect.width / max(1, rect.height)
                    let k = r.x - rect.x + shift
                    memcpy(buf.baseAddress! + y * stride + r.x * 3, s.baseAddress! + k * 3, r.width * 3)
                }
            }
        }
    }

    /// Draws the outline of `rect`, `thickness` pixels wide, inside `rect`.
    public mutating func strokeRect(_ rect: PixelRect, color: RGBColor, thickness: Int = 1) {
        guard !rect.isEmpty, thickness > 0 else { return }
        let t = min(thickness, (min(rect.width, rect.height) + 1) / 2)
        fillRect(PixelRect(x: rect.x, y: rect.y, width: rect.width, height: t), color: color)
        fillRect(PixelRect(x: rect.x, y: rect.maxY - t, width: rect.width, height: t), color: color)
        fillRect(PixelRect(x: rect.x, y: rect.y + t, width: t, height: rect.height - 2 * t), color: color)
        fillRect(PixelRect(x: rect.maxX - t, y: rect.y + t, width: t, height: rect.height - 2 * t), color: color)
    }

    /// Lays `color` over `rect` with opacity `alpha` (0…1). Each channel goes through a 256-entry
    /// table, so the inner loop is one load and one store per byte.
    public mutating func blendRect(_ rect: PixelRect, color: RGBColor, alpha: Double) {
        let r = rect.intersection(bounds)
        guard !r.isEmpty else { return }
        blendRows(color: color, alpha: alpha, rows: r.y..<r.maxY) { _ in (r.x, r.maxX) }
    }

    /// Lays `color` over the disc of `radius` around (`centerX`, `centerY`) with opacity `alpha`;
    /// each row is one span, so the cost is that of a rectangle of the same area.
    public mutating func blendCircle(centerX: Int, centerY: Int, radius: Int, color: RGBColor, alpha: Double) {
        guard radius > 0 else { return }
        let rows = max(0, centerY - radius)..<min(height, centerY + radius + 1)
        guard !rows.isEmpty else { return }
        blendRows(color: color, alpha: alpha, rows: rows) { y in
            let dy = Double(y - centerY)
            let half = Int((Double(radius * radius) - dy * dy).squareRoot())
            return (centerX - half, centerX + half + 1)
        }
    }

    /// Blends `color` over the span `[x0, x1)` that `span` gives for each row in `rows` (clipped).
    private mutating func blendRows(color: RGBColor, alpha: Double, rows: Range<Int>,
                                    span: (Int) -> (Int, Int)) {
        let a = Int((min(max(alpha, 0), 1) * 256).rounded())
        guard a > 0 else { return }
        var table = [UInt8](repeating: 0, count: 768)
        for (channel, c) in [Int(color.r), Int(color.g), Int(color.b)].enumerated() {
            for v in 0..<256 { table[channel * 256 + v] = UInt8(min(255, (v * (256 - a) + c * a + 128) >> 8)) }
        }
        let stride = width * 3
        let rows = rows.clamped(to: 0..<height)
        table.withUnsafeBufferPointer { tb in
            let tr = tb.baseAddress!, tg = tr + 256, tbl = tr + 512
            pixels.withUnsafeMutableBufferPointer { buf in
                for y in rows {
                    let (from, to) = span(y)
                    let x0 = max(0, from), x1 = min(width, to)
                    guard x0 < x1 else { continue }
                    var p = buf.baseAddress! + y * stride + x0 * 3
                    let end = p + (x1 - x0) * 3
                    while p < end {
                        p[0] = tr[Int(p[0])]
                        p[1] = tg[Int(p[1])]
                        p[2] = tbl[Int(p[2])]
                        p += 3
                    }
                }
            }
        }
    }

    /// Copies `other` with its top-left corner at (`x`, `y`), clipped; one `memcpy` per row.
    public mutating func draw(_ other: RGBImage, atX x: Int, y: Int) {
        let target = PixelRect(x: x, y: y, width: other.width, height: other.height).intersection(bounds)
        guard !target.isEmpty else { return }
        let stride = width * 3, otherStride = other.width * 3
        let sx = target.x - x, sy = target.y - y
        other.pixels.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for row in 0..<target.height {
                    memcpy(dst.baseAddress! + (target.y + row) * stride + target.x * 3,
                           src.baseAddress! + (sy + row) * otherStride + sx * 3, target.width * 3)
                }
            }
        }
    }

    /// Draws `other` scaled to fill `rect` exactly (the aspect ratio is the caller's business);
    /// shrinking averages the covered source pixels (box filter), growing repeats them.
    public mutating func draw(_ other: RGBImage, in rect: PixelRect) {
        guard !rect.isEmpty, !rect.intersection(bounds).isEmpty, other.width > 0, other.height > 0 else { return }
        if other.width == rect.width && other.height == rect.height {
            draw(other, atX: rect.x, y: rect.y)
        } else {
            draw(other.scaled(width: rect.width, height: rect.height), atX: rect.x, y: rect.y)
        }
    }

    /// Writes `count` pixels of `color` at `p`: one pixel, then doubling copies.
    package static func fillPixels(_ p: UnsafeMutablePointer<UInt8>, count: Int, color: RGBColor) {
        guard count > 0 else { return }
        p[0] = color.r
        p[1] = color.g
        p[2] = color.b
        var done = 1
        while done < count {
            let n = min(done, count - done)
            memcpy(p + done * 3, p, n * 3)
            done += n
        }
    }
}
