import Foundation
import AssetBuildSupport
import AssetBuildCatalog

/// Why `ImageProbe.probe` could not read dimensions from some bytes.
public enum ImageProbeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes start with no signature of a supported format (text, PDF, an empty file, …).
    case unknownFormat
    /// The signature matched, but the data ends before the dimensions.
    case truncated
    /// The signature matched, but the header contradicts the format (the reason is in lower case).
    case invalid(String)
    /// The header is whole but the file ends before the format's end marker: a cut download or copy.
    case incomplete(String)

    public var description: String {
        switch self {
        case .unknownFormat:
            return "not an image (the bytes are not jpeg, png, webp, bmp, tiff or gif)"
        case .truncated:
            return "truncated image (the data ends before its dimensions)"
        case .invalid(let reason):
            return "invalid image header: \(reason)"
        case .incomplete(let reason):
            return "truncated image (\(reason); the file was cut short, so copy or export it again)"
        }
    }
}
