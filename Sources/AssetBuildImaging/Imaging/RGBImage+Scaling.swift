import Foundation
import AssetBuildSupport
import AssetBuildCatalog

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
        func spans(_ source: Int, _ target: Int) -> (starts: [Int], ends: [Int]) {
            var starts = [Int](repeating: 0, count: target), ends = starts
            for i in 0..<target {
                starts[i] = min(source - 1, i * source / target)
                ends[i] = max(starts[i] + 1, (i + 1) * source / target)
            }
            return (starts, ends)
        }
        let columns = spans(width, newWidth), rows = spans(height, newHeight)
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
        var sums = [UInt32](repeating: 0, count: newWidth * 3)
        let stride = width * 3, outStride = newWidth * 3

        pixels.withUnsafeBufferPointer { srcBuf in
            out.withUnsafeMutableBufferPointer { outBuf in
                sums.withUnsafeMutableBufferPointer { sumBuf in
                    columns.starts.withUnsafeBufferPointer { xs in
                        columns.ends.withUnsafeBufferPointer { xe in
                            let src = srcBuf.baseAddress!, dst = outBuf.baseAddress!, acc = sumBuf.baseAddress!
                            let x0s = xs.baseAddress!, x1s = xe.baseAddress!
                            for oy in 0..<newHeight {
                                let y0 = rows.starts[oy], y1 = rows.ends[oy]
                                let line = dst + oy * outStride
                                // Growing vertically: this row repeats the previous one.
                                if oy > 0, y1 - y0 == 1, rows.starts[oy - 1] == y0, rows.ends[oy - 1] == y1 {
                                    memcpy(line, line - outStride, outStride)
                                    continue
                                }
                                acc.update(repeating: 0, count: outStride)
                                for sy in y0..<y1 {
                                    let srcLine = src + sy * stride
                                    var ox = 0
                                    while ox < newWidth {
                                        var p = srcLine + x0s[ox] * 3
                                        let end = srcLine + x1s[ox] * 3
                                        var r: UInt32 = 0, g: UInt32 = 0, b: UInt32 = 0
                                        while p < end {
                                            r &+= UInt32(p[0]); g &+= UInt32(p[1]); b &+= UInt32(p[2])
                                            p += 3
                                        }
                                        let a = acc + ox * 3
                                        a[0] &+= r; a[1] &+= g; a[2] &+= b
                                        ox += 1
                                    }
                                }
                                let rowArea = UInt32(y1 - y0)
                                var ox = 0
                                while ox < newWidth {
                                    let area = rowArea * UInt32(x1s[ox] - x0s[ox]), half = area / 2
                                    let a = acc + ox * 3, o = line + ox * 3
                                    o[0] = UInt8((a[0] + half) / area)
                                    o[1] = UInt8((a[1] + half) / area)
                                    o[2] = UInt8((a[2] + half) / area)
                                    ox += 1
                                }
                            }
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
