import Foundation
import AssetBuildSupport
import AssetBuildCatalog

/// The offline "draft" image: a deterministic stand-in for a generated image, of exactly the requested
/// size, that shows what was asked (target, group position, prompt, references, model, size) so a
/// person can tell drafts apart at a glance and check a pipeline before paying for real images.
public enum DraftArt {
    /// JPEG quality of drafts: text stays crisp and files stay small.
    public static let jpegQuality = 88

    /// Renders `spec` and encodes it as a baseline JPEG of exactly `spec.width`×`spec.height`.
    /// The same spec (and the same installed fonts) always gives the same bytes.
    public static func render(_ spec: DraftArtSpec) throws -> Data {
        try JPEGCodec.encode(renderImage(spec), quality: jpegQuality)
    }

    /// The draft's pixels, before encoding.
    public static func renderImage(_ spec: DraftArtSpec, text: TextRenderer = .shared) throws -> RGBImage {
        guard RGBImage.checkedSize(spec.width, spec.height) else {
            throw ImageCodecError.unsupportedSize(width: spec.width, height: spec.height)
        }
        var painter = DraftPainter(spec: spec, text: text)
        painter.paint()
        return painter.image
    }
}
