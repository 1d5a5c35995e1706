import Foundation
import AssetBuildSupport
import AssetBuildCatalog

/// Why encoding or decoding pixels failed. Messages are lower case, as the library said them.
public enum ImageCodecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// TurboJPEG refused the data or the image (its own message).
    case jpeg(String)
    /// libpng refused the data or the image (its own message).
    case png(String)
    /// The image is empty or bigger than `RGBImage.maxPixelCount`; nothing was allocated.
    case unsupportedSize(width: Int, height: Int)

    public var description: String {
        switch self {
        case .jpeg(let message): return "jpeg: \(message.lowercased())"
        case .png(let message): return "png: \(message.lowercased())"
        case .unsupportedSize(let w, let h): return "unsupported image size \(w)×\(h)"
        }
    }
}

extension RGBImage {
    /// The largest image the codecs will allocate (about 805 MB of RGB); the service's own limit is far lower.
    public static let maxPixelCount = 16384 * 16384

    package static func checkedSize(_ width: Int, _ height: Int) -> Bool {
        width > 0 && height > 0 && width <= 65_535 && height <= 65_535 && width * height <= maxPixelCount
    }
}
