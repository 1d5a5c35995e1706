import Foundation
import AssetBuildSupport

/// One derived image: how to size, crop and encode a source image, and what to draw on it.
/// A pure value; `ImageDeriver.derive` turns a source's bytes plus a spec into the output's bytes,
/// and `canonicalJSON` is its stable description for the action key.
public struct DeriveSpec: Sendable, Hashable {
    public var size: DeriveSize
    /// Only used when `size` gives both sides.
    public var fit: DeriveFit
    /// Only used by `fit: .cover`.
    public var crop: DeriveCrop
    public var format: DeriveFormat
    /// 1…100; nil means `format.defaultQuality`. Ignored by PNG (lossless).
    public var quality: Int?
    /// The canvas around a `contain` fit, and what a JPEG's transparency is flattened onto;
    /// nil means opaque white.
    public var background: DeriveColor?
    /// Drawn in order, each on top of the ones before.
    public var overlays: [DeriveOverlay]

    public init(size: DeriveSize, fit: DeriveFit = .cover, crop: DeriveCrop = .attention, format: DeriveFormat,
                quality: Int? = nil, background: DeriveColor? = nil, overlays: [DeriveOverlay] = []) {
        self.size = size
        self.fit = fit
        self.crop = crop
        self.format = format
        self.quality = quality
        self.background = background
        self.overlays = overlays
    }

    /// The quality the encoder gets: nil for PNG.
    public var effectiveQuality: Int? {
        format == .png ? nil : (quality ?? format.defaultQuality)
    }

    /// The font names of the text overlays, in order (their files belong in the action key).
    public var fontNames: [String] {
        overlays.compactMap { if case .text(let t) = $0 { return t.font } else { return nil } }
    }
}

/// The output size: both sides, or one side with the other following the source's aspect ratio.
public enum DeriveSize: Sendable, Hashable, CustomStringConvertible {
    case exact(width: Int, height: Int)
    case width(Int)
    case height(Int)

    /// The largest side libvips' WebP encoder accepts; no channel asset comes near it.
    public static let maxSide = 16383

    public var description: String {
        switch self {
        case .exact(let w, let h): return "\(w)x\(h)"
        case .width(let w): return "\(w)x"
        case .height(let h): return "x\(h)"
        }
    }

    /// As people say it, for `graph` and the gallery: `1080x1080`, `320 wide`, `120 high`.
    public var spoken: String {
        switch self {
        case .exact: return description
        case .width(let w): return "\(w) wide"
        case .height(let h): return "\(h) high"
        }
    }
}

/// How a source is fitted into an exact size.
public enum DeriveFit: String, Sendable, Hashable, CaseIterable {
    /// Fill the size, keeping the aspect ratio, and crop the excess (see `DeriveCrop`).
    case cover
    /// Fit inside the size, keeping the aspect ratio, centred on the background colour.
    case contain
    /// Stretch to the size, ignoring the aspect ratio.
    case fill
    /// Fit inside the size, keeping the aspect ratio; the output may be smaller on one side.
    case inside
}

/// Which part of the source a `cover` fit keeps.
public enum DeriveCrop: Sendable, Hashable, RawRepresentable {
    /// libvips' attention strategy: skin tones, saturated colour and edges.
    case attention
    /// The part with the most entropy.
    case entropy
    /// A fixed edge or corner; `.gravity(.centre)` is the plain centre crop.
    case gravity(DeriveGravity)

    public static let centre = DeriveCrop.gravity(.centre)

    /// Every spelling `init(rawValue:)` accepts, for did-you-mean suggestions.
    public static let names = ["attention", "entropy"] + DeriveGravity.allCases.map(\.rawValue)

    public init?(rawValue: String) {
        switch rawValue {
        case "attention": self = .attention
        case "entropy": self = .entropy
        default:
            guard let g = DeriveGravity(rawValue: rawValue) else { return nil }
            self = .gravity(g)
        }
    }

    public var rawValue: String {
        switch self {
        case .attention: return "attention"
        case .entropy: return "entropy"
        case .gravity(let g): return g.rawValue
        }
    }
}

/// A side or corner of the canvas (or its centre), for crops and overlays.
public enum DeriveGravity: String, Sendable, Hashable, CaseIterable {
    case north, south, east, west, centre
    case northEast = "north-east", northWest = "north-west", southEast = "south-east", southWest = "south-west"

    /// -1 for west, 0 for centred, 1 for east.
    public var horizontal: Int {
        switch self {
        case .west, .northWest, .southWest: return -1
        case .east, .northEast, .southEast: return 1
        case .north, .south, .centre: return 0
        }
    }

    /// -1 for north, 0 for centred, 1 for south.
    public var vertical: Int {
        switch self {
        case .north, .northWest, .northEast: return -1
        case .south, .southWest, .southEast: return 1
        case .west, .east, .centre: return 0
        }
    }

    /// The top-left corner of an `inner` box placed at this gravity in `outer`, `margin` pixels
    /// from the edges it sits against (a centred axis ignores the margin).
    public func origin(of inner: (width: Int, height: Int), in outer: (width: Int, height: Int), margin: Int) -> (x: Int, y: Int) {
        func place(_ side: Int, _ size: Int, _ space: Int) -> Int {
            switch side {
            case -1: return margin
            case 1: return space - size - margin
            default: return (space - size) / 2
            }
        }
        return (place(horizontal, inner.width, outer.width), place(vertical, inner.height, outer.height))
    }
}

/// The encodings a derived image can be written in.
public enum DeriveFormat: String, Sendable, Hashable, CaseIterable {
    case jpeg, png, webp, avif

    /// The file name extension of outputs (`hero.og.jpeg`).
    public var fileExtension: String { rawValue }

    public var mimeType: String { "image/\(rawValue)" }

    /// What `quality` means when it is not set (nil for PNG, which is lossless).
    public var defaultQuality: Int? {
        switch self {
        case .jpeg: return 85
        case .webp: return 80
        case .avif: return 50
        case .png: return nil
        }
    }

    /// Whether the format keeps an alpha channel (JPEG's transparency is flattened).
    public var keepsAlpha: Bool { self != .jpeg }
}

/// An 8-bit sRGB colour with alpha (255 is opaque).
public struct DeriveColor: Sendable, Hashable, CustomStringConvertible {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8
    public var a: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8, _ a: UInt8 = 255) {
        self.r = r
        self.g = g
        self.b = b
        self.a = a
    }

    public static let white = DeriveColor(255, 255, 255)
    public static let black = DeriveColor(0, 0, 0)

    /// Parses `#rgb`, `#rrggbb` or `#rrggbbaa` (case-insensitive); nil for anything else.
    public init?(hex text: String) {
        guard text.hasPrefix("#") else { return nil }
        var digits = Array(text.dropFirst())
        if digits.count == 3 { digits = digits.flatMap { [$0, $0] } }
        guard digits.count == 6 || digits.count == 8, digits.allSatisfy(\.isHexDigit),
              let v = UInt32(String(digits), radix: 16) else { return nil }
        let value = digits.count == 6 ? v << 8 | 0xFF : v
        self.init(UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF))
    }

    /// `#rrggbb`, or `#rrggbbaa` when not opaque.
    public var description: String {
        let rgb = String(format: "#%02x%02x%02x", Int(r), Int(g), Int(b))
        return a == 255 ? rgb : rgb + String(format: "%02x", Int(a))
    }

    package var rgb: [Double] { [Double(r), Double(g), Double(b)] }
    package var rgba: [Double] { rgb + [Double(a)] }
}

/// Something drawn on a derived image, after sizing.
public enum DeriveOverlay: Sendable, Hashable {
    case image(DeriveImageOverlay)
    case text(DeriveTextOverlay)
}

/// A picture (a logo) drawn on the output.
public struct DeriveImageOverlay: Sendable, Hashable {
    /// The file's bytes: PNG, SVG, or any other format libvips reads.
    public var bytes: Data
    public var gravity: DeriveGravity
    /// Pixels from the edges the overlay sits against.
    public var margin: Int
    /// The drawn size; with neither set, the file's own size. With both, it fits inside both.
    public var width: Int?
    public var height: Int?
    /// 0…1, multiplied into the overlay's own alpha.
    public var opacity: Double

    public init(bytes: Data, gravity: DeriveGravity = .southEast, margin: Int = 0, width: Int? = nil,
                height: Int? = nil, opacity: Double = 1) {
        self.bytes = bytes
        self.gravity = gravity
        self.margin = margin
        self.width = width
        self.height = height
        self.opacity = opacity
    }
}

/// Text drawn on the output through Pango (the string is already expanded: no `${…}` left).
public struct DeriveTextOverlay: Sendable, Hashable {
    /// Plain text (not markup); newlines start new lines.
    public var text: String
    /// A font family with optional style words, as Pango reads them: "DejaVu Sans Bold".
    public var font: String
    /// The font size in pixels.
    public var size: Double
    public var color: DeriveColor
    public var gravity: DeriveGravity
    public var margin: Int
    /// Lines wrap at word boundaries to stay within this many pixels; nil: no wrapping.
    public var maxWidth: Int?

    public init(text: String, font: String, size: Double, color: DeriveColor = .white, gravity: DeriveGravity = .northWest,
                margin: Int = 0, maxWidth: Int? = nil) {
        self.text = text
        self.font = font
        self.size = size
        self.color = color
        self.gravity = gravity
        self.margin = margin
        self.maxWidth = maxWidth
    }

    /// The Pango font description vips_text is given: family, style words and size.
    package var pangoDescription: String {
        var points = String(size)
        if points.hasSuffix(".0") { points.removeLast(2) }
        return "\(font) \(points)"
    }
}
