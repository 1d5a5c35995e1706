import Foundation
import AssetBuildSupport

/// The limits the service puts on a reference image (ark-api.md §4), as fragments for messages.
extension ImageModel {
    /// Why another target's output of `width x height` (and `byteCount` bytes, once it exists)
    /// cannot be sent as a reference to `model`: the limits files have (ark-api.md §4), worded
    /// as fragments such as "aspect ratio 16:1; seededit takes references from 1:3 to 3:1".
    public static func outputProblems(width: Int, height: Int, byteCount: Int?, model m: ImageModel) -> [String] {
        guard width > 0, height > 0 else { return [] }
        var out: [String] = []
        if !m.referenceAspectRange.contains(Double(width) / Double(height)) {
            let range = m.referenceAspectRange.lowerBound < 0.1 ? "1:16 to 16:1" : "1:3 to 3:1"
            out.append("aspect ratio \(describeRatio(width, height)); \(m.id) takes references from \(range)")
        }
        if width <= ModelCatalog.minReferenceSide || height <= ModelCatalog.minReferenceSide {
            out.append("a side of 14 pixels or less; references must be wider and taller than 14")
        }
        if pixelCount(width, height) > ModelCatalog.maxReferencePixels {
            out.append("\(pixelCount(width, height)) pixels; references may have at most 6000x6000")
        }
        if let byteCount, byteCount > ModelCatalog.maxReferenceBytes {
            out.append(String(format: "%.1f MB; references may have at most 10 MB", Double(byteCount) / 1_048_576))
        }
        return out
    }

    /// `width × height`, or `Int.max` when that overflows (a TIFF header can claim 2³² × 2³²).
    public static func pixelCount(_ width: Int, _ height: Int) -> Int {
        let (product, overflow) = width.multipliedReportingOverflow(by: height)
        return overflow ? Int.max : product
    }

    /// `w:h` in lowest terms: `16:9`.
    public static func describeRatio(_ w: Int, _ h: Int) -> String {
        func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
        let g = gcd(w, h)
        return "\(w / g):\(h / g)"
    }
}
