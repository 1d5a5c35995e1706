import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// What a generated image must be before it counts as a target's output. The service promises
/// JPEG (ark-api.md §2.1) and outputs are `.jpeg` files, so:
/// - a whole JPEG of a believable size (`ImageVerifier`) is kept as it is;
/// - a whole PNG is kept converted to JPEG (quality 95), said in a note, so the file is what its
///   name says;
/// - anything else is refused: an image cut short or damaged, a bare header, a decompression bomb,
///   a format assetbuild cannot convert (GIF, WebP, BMP, TIFF), or not an image at all.
/// The width and height recorded are the image's own, never the answer's `size` claim.
package enum GeneratedImage {
    package struct Accepted {
        package var data: Data
        package var info: ImageInfo
        /// Said to the user when the image was converted.
        package var note: String?
    }

    /// The failure code an image refused here is recorded with (`action_failures`, `--json`).
    package static let refusedCode = "UnusableImage"

    package static func accept(_ bytes: Data) -> Result<Accepted, ImageVerifier.Failure> {
        let info: ImageInfo
        do {
            info = try ImageVerifier.verify(bytes)
        } catch {
            return .failure(error)
        }
        switch info.format {
        case .jpeg:
            return .success(Accepted(data: bytes, info: info))
        case .png:
            do {
                let jpeg = try JPEGCodec.encode(try PNGCodec.decode(bytes), quality: 95)
                return .success(Accepted(data: jpeg, info: info,
                                         note: "it came as a PNG where a JPEG was promised; it was converted to JPEG"))
            } catch {
                return .failure(.damaged("a PNG that cannot be decoded: \(error)"))
            }
        default:
            return .failure(.notImage("a \(info.format.rawValue.uppercased()) where a JPEG was promised"
                + " (only a PNG can be converted)"))
        }
    }
}
