import Foundation
import AssetBuildSupport

extension DeriveSpec {
    /// Raised when this code starts giving other bytes for the same spec on the same libvips
    /// (another resize call, another default), so cached outputs of the old pipeline are not reused.
    public static let pipelineVersion = 1

    /// Everything in the spec that changes the output, and nothing that does not: options that
    /// cannot apply are left out (fit and crop of a one-sided size, crop of a non-cover fit, the
    /// quality of a PNG, the background where nothing shows it), defaults are written out (so
    /// `quality: 85` on a JPEG and no quality are the same spec), and overlay files are their
    /// SHA-256. Font files and the libvips version are not in here: the caller adds them.
    public var canonical: DeriveSpecCanonical {
        var fit: String?, crop: String?
        if case .exact = size {
            fit = self.fit.rawValue
            if self.fit == .cover { crop = self.crop.rawValue }
        }
        let backgroundShows = self.fit == .contain && fit != nil || format == .jpeg
        return DeriveSpecCanonical(
            pipeline: Self.pipelineVersion, size: size.description, fit: fit, crop: crop, format: format.rawValue,
            quality: effectiveQuality, background: backgroundShows ? (background ?? .white).description : nil,
            overlays: overlays.map(DeriveSpecCanonical.Overlay.init))
    }

    /// `canonical` as JSON with sorted keys: the spec's part of a derived action's key.
    public var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A struct of strings, integers and finite numbers always encodes.
        return String(decoding: (try? encoder.encode(canonical)) ?? Data(), as: UTF8.self)
    }
}

/// The stable description of a `DeriveSpec` (see `DeriveSpec.canonical`).
public struct DeriveSpecCanonical: Codable, Sendable, Hashable {
    public var pipeline: Int
    public var size: String
    public var fit: String?
    public var crop: String?
    public var format: String
    public var quality: Int?
    public var background: String?
    public var overlays: [Overlay]

    /// One overlay: the image fields or the text fields are set, after `kind`.
    public struct Overlay: Codable, Sendable, Hashable {
        public var kind: String
        public var gravity: String
        public var margin: Int
        public var sha256: String?
        public var width: Int?
        public var height: Int?
        public var opacity: Double?
        public var text: String?
        public var font: String?
        public var size: Double?
        public var color: String?
        public var maxWidth: Int?

        package enum CodingKeys: String, CodingKey {
            case kind, gravity, margin, sha256, width, height, opacity, text, font, size, color
            case maxWidth = "max_width"
        }

        package init(_ overlay: DeriveOverlay) {
            switch overlay {
            case .image(let o):
                kind = "image"
                (gravity, margin) = (o.gravity.rawValue, o.margin)
                sha256 = SHA256.hash(o.bytes).hex
                (width, height, opacity) = (o.width, o.height, o.opacity)
            case .text(let t):
                kind = "text"
                (gravity, margin) = (t.gravity.rawValue, t.margin)
                (text, font, size, color, maxWidth) = (t.text, t.font, t.size, t.color.description, t.maxWidth)
            }
        }
    }
}
