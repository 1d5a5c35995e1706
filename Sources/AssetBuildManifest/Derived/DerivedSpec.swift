import AssetBuildSupport
import AssetBuildDeriveSpec

/// A derived target: images made locally, at no cost, from another target's image(s) with
/// libvips (resize, crop, format, overlays). A `variants:` entry of a target is a derived target
/// named `<target>.<variant>` whose `source` is that target; a top-level target with `from:` is
/// one too. A derived target makes one image per source image (a group's variant is a group).
public struct DerivedSpec: Sendable {
    /// What it is made from (`from:` as written, or the target a variant is declared under).
    public var source: Located<DeriveSource>
    /// The variant's own name (`og` for `hero.og`) when declared under `variants:`; nil for a
    /// top-level derived target.
    public var variant: String?
    public var size: DeriveSize
    public var fit: DeriveFit
    public var crop: DeriveCrop
    public var format: DeriveFormat
    /// nil: the format's default (`DeriveFormat.defaultQuality`).
    public var quality: Int?
    public var background: DeriveColor?
    /// Drawn in order over the sized image (derived targets only; variants have none).
    public var overlays: [Located<OverlayDeclaration>]
    /// How many images it makes: 1 for one source image, a group's size for a whole group (set
    /// once every target is known: the source may be declared further down).
    public var images: Int = 1

    public init(source: Located<DeriveSource>, variant: String? = nil, size: DeriveSize, fit: DeriveFit = .cover,
                crop: DeriveCrop = .attention, format: DeriveFormat, quality: Int? = nil, background: DeriveColor? = nil,
                overlays: [Located<OverlayDeclaration>] = []) {
        self.source = source
        self.variant = variant
        self.size = size
        self.fit = fit
        self.crop = crop
        self.format = format
        self.quality = quality
        self.background = background
        self.overlays = overlays
    }

    /// Files whose bytes feed the key (image overlays), relative to the manifest or absolute.
    public var overlayFiles: [String] {
        overlays.compactMap { if case .image(let o) = $0.value { return o.file } else { return nil } }
    }

    /// The `${text.field}` placeholders of its text overlays (implicit dependencies).
    public var fieldReferences: [Located<String>] {
        overlays.flatMap { o -> [Located<String>] in
            if case .text(let t) = o.value { return t.text.fieldReferences }
            return []
        }
    }
}

/// The image(s) a derived target is made from: a target (an image target or a variant, which is
/// itself a target named `hero.og`), optionally one image of a group.
public struct DeriveSource: Sendable, Hashable {
    /// `hero`, or `hero.og` for a variant.
    public var target: String
    /// 1-based image of a group (`poses[2]`, `poses[2].ig`); nil: every image of the source.
    public var index: Int?
    /// As written (`"poses[2].ig"`), for messages.
    public var spelling: String

    public init(target: String, index: Int? = nil, spelling: String) {
        self.target = target
        self.index = index
        self.spelling = spelling
    }
}

/// An overlay as the manifest declares it: file paths and templates, not yet bytes and text.
public enum OverlayDeclaration: Sendable {
    case image(ImageOverlayDeclaration)
    case text(TextOverlayDeclaration)
}

/// A picture drawn on the output (a logo): `DeriveImageOverlay` once its file is read.
public struct ImageOverlayDeclaration: Sendable, Hashable {
    /// Relative to the manifest's folder, or absolute (subject to `allow_outside:`).
    public var file: String
    public var gravity: DeriveGravity
    public var margin: Int
    public var width: Int?
    public var height: Int?
    public var opacity: Double

    public init(file: String, gravity: DeriveGravity = .southEast, margin: Int = 0, width: Int? = nil,
                height: Int? = nil, opacity: Double = 1) {
        self.file = file
        self.gravity = gravity
        self.margin = margin
        self.width = width
        self.height = height
        self.opacity = opacity
    }
}

/// Text drawn on the output: `DeriveTextOverlay` once its `${text.field}`s are rendered.
public struct TextOverlayDeclaration: Sendable, Hashable {
    /// `${var}`s already expanded; `${target.field}` parts stay until that target is built.
    public var text: Template
    /// A font name as Pango reads it ("DejaVu Sans Bold"); checked against the installed fonts
    /// when the plan is made.
    public var font: String
    public var fontLocation: SourceLocation
    /// Pixels.
    public var size: Double
    public var color: DeriveColor
    public var gravity: DeriveGravity
    public var margin: Int
    public var maxWidth: Int?

    public init(text: Template, font: String, fontLocation: SourceLocation, size: Double, color: DeriveColor = .white,
                gravity: DeriveGravity = .northWest, margin: Int = 0, maxWidth: Int? = nil) {
        self.text = text
        self.font = font
        self.fontLocation = fontLocation
        self.size = size
        self.color = color
        self.gravity = gravity
        self.margin = margin
        self.maxWidth = maxWidth
    }
}
