import Foundation
import AssetBuildSupport
import AssetBuildCatalog

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
