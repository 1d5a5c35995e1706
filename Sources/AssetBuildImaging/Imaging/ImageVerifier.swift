import Foundation
import AssetBuildSupport
import AssetBuildCatalog

/// Checks that bytes are a whole image of a believable size before they count as one: the header
/// (`ImageProbe.probeWhole`: a PNG's IEND, a JPEG's end-of-image marker), the declared size
/// against `maxPixels` before anything is decoded (a decompression bomb declares a huge size in a
/// few bytes), and, for a JPEG, every byte of its scans (`JPEGCodec.check`), so an image cut short
/// or damaged inside is caught even when its last two bytes look right.
public enum ImageVerifier {
    /// The most pixels an image may declare: 36 M (6000 × 6000), the service's own limit for an
    /// input image (ark-api.md §4), and more than twice its largest output (4096 × 4096 =
    /// 16,777,216, §3.1). No real answer or reference reaches it.
    public static let maxPixels = ModelCatalog.maxReferencePixels
    /// The longest side an image may declare (a 1 × 36 M strip is no more real than a bomb).
    public static let maxSide = 16_384

    /// Why bytes are not a usable image.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// Not an image at all, or a header that contradicts its format.
        case notImage(String)
        /// An image that ends early: a bare header, a missing end marker, scans that stop.
        case cut(String)
        /// A header declaring more pixels than any real image here has.
        case tooLarge(width: Int, height: Int)
        /// The decoder refused data inside the image.
        case damaged(String)

        public var description: String {
            switch self {
            case .notImage(let why): return why
            case .cut(let why): return why
            case .tooLarge(let w, let h):
                return "an image declaring \(w)×\(h) pixels, beyond the \(ImageVerifier.maxPixels)-pixel limit"
                    + " (\(ImageVerifier.maxSide) per side) that no real image reaches (a decompression bomb?)"
            case .damaged(let why): return "a damaged image (\(why))"
            }
        }
    }

    /// The image's format and its own dimensions, or why it is not a usable image.
    public static func verify(_ data: Data) throws(Failure) -> ImageInfo {
        let info: ImageInfo
        do {
            info = try ImageProbe.probeWhole(data)
        } catch .truncated {
            throw .cut("an image cut short (\(data.count) bytes end before its dimensions)")
        } catch .incomplete(let why) {
            throw .cut("an image cut short (\(why), \(data.count) bytes)")
        } catch {
            // ImageProbeError says "not an image (…)" for an unknown format itself.
            throw .notImage(data.isEmpty ? "an empty body" : error == .unknownFormat ? "\(error)" : "not an image (\(error))")
        }
        guard info.width <= maxSide, info.height <= maxSide, info.width * info.height <= maxPixels else {
            throw .tooLarge(width: info.width, height: info.height)
        }
        if info.format == .jpeg {
            do {
                try JPEGCodec.check(data)
            } catch {
                throw error.cut ? .cut("an image cut short (\(error.message))") : .damaged(error.message)
            }
        }
        return info
    }
}
