import Foundation

extension RGBImage {
    /// A copy resampled to `width`×`height` (each ≥ 1) with an area-average (box) filter: every output
    /// pixel is the mean of the source pixels whose span it covers. Where the output is larger than
    /// the source on an axis, each output pixel covers exactly one source pixel (nearest neighbour).
    /// Each source row is read once per output row band, so the cost is about one add per source byte.
    public func scaled(width newWidth: Int, height newHeight: Int) -> RGBImage {
        precondition(newWidth > 0 && newHeight > 0, "scaled to an empty size")
        guard width > 0, height > 0 else { return RGBImage(width: newWidth, height: newHeight) }
        if newWidth == width && newHeight == height { return self }

        // [start, end) of the source columns/rows covered by each output column/row; never empty.
        func spans(_ source: Int, _ target: Int) -> [(Int, Int)] {
            (0..<target).map { i in
                let start = min(source - 1, i * source / target)
                return (start, max(start + 1, (i + 1) * source / target))
            }
        }
        let columns = spans(width, newWidth), rows = spans(height, newHeight)
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
        var sums = [UInt32](repeating: 0, count: newWidth * 3)
        let stride = width * 3

        pixels.withUnsafeBufferPointer { srcBuf in
            out.withUnsafeMutableBufferPointer { outBuf in
                sums.withUnsafeMutableBufferPointer { sumBuf in
                    let src = srcBuf.baseAddress!, dst = outBuf.baseAddress!, acc = sumBuf.baseAddress!
                    for (oy, (y0, y1)) in rows.enumerated() {
                        acc.update(repeating: 0, count: newWidth * 3)
                        for sy in y0..<y1 {
                            let line = src + sy * stride
                            for (ox, (x0, x1)) in columns.enumerated() {
                                var r: UInt32 = 0, g: UInt32 = 0, b: UInt32 = 0
                                var p = line + x0 * 3
                                let end = line + x1 * 3
                                while p < end {
                                    r &+= UInt32(p[0]); g &+= UInt32(p[1]); b &+= UInt32(p[2])
                                    p += 3
                                }
                                acc[ox * 3] &+= r; acc[ox * 3 + 1] &+= g; acc[ox * 3 + 2] &+= b
                            }
                        }
                        let rowArea = UInt32(y1 - y0)
                        let line = dst + oy * newWidth * 3
                        for (ox, (x0, x1)) in columns.enumerated() {
                            let area = rowArea * UInt32(x1 - x0), half = area / 2
                            line[ox * 3] = UInt8((acc[ox * 3] + half) / area)
                            line[ox * 3 + 1] = UInt8((acc[ox * 3 + 1] + half) / area)
                            line[ox * 3 + 2] = UInt8((acc[ox * 3 + 2] + half) / area)
                        }
                    }
                }
            }
        }
        return RGBImage(width: newWidth, height: newHeight, pixels: out)
    }

    /// The largest size with this image's aspect ratio that fits in `maxWidth`×`maxHeight` (each ≥ 1).
    public func fittingSize(maxWidth: Int, maxHeight: Int) -> (width: Int, height: Int) {
        guard width > 0, height > 0 else { return (max(1, maxWidth), max(1, maxHeight)) }
        let scale = min(Double(maxWidth) / Double(width), Double(maxHeight) / Double(height))
        return (max(1, min(maxWidth, Int((Double(width) * scale).rounded()))),
                max(1, min(maxHeight, Int((Double(height) * scale).rounded()))))
    }
}
