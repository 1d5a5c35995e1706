import Foundation

/// The image formats assetbuild recognises by their bytes. The raw value is the lowercase name used in
/// `data:image/<fmt>;base64,…` URIs and in messages.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg, png, webp, bmp, tiff, gif

    /// The MIME type, e.g. `image/jpeg`.
    public var mimeType: String { "image/\(rawValue)" }
}

/// What a header probe learned: the format and the pixel dimensions (always > 0).
public struct ImageInfo: Sendable, Hashable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int

    public init(format: ImageFormat, width: Int, height: Int) {
        self.format = format
        self.width = width
        self.height = height
    }
}

/// Why `ImageProbe.probe` could not read dimensions from some bytes.
public enum ImageProbeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes start with no signature of a supported format (text, PDF, an empty file, …).
    case unknownFormat
    /// The signature matched, but the data ends before the dimensions.
    case truncated
    /// The signature matched, but the header contradicts the format (the reason is in lower case).
    case invalid(String)

    public var description: String {
        switch self {
        case .unknownFormat:
            return "not an image (the bytes are not jpeg, png, webp, bmp, tiff or gif)"
        case .truncated:
            return "truncated image (the data ends before its dimensions)"
        case .invalid(let reason):
            return "invalid image header: \(reason)"
        }
    }
}
