import CVips
import Foundation
import AssetBuildSupport

/// Turns a source image's bytes plus a `DeriveSpec` into the output's bytes, with libvips doing
/// every pixel: shrink-on-load resize and smart crop (`vips_thumbnail_buffer`), the contain canvas
/// (`vips_gravity`), overlays (`vips_composite2`, text through `vips_text` and Pango), and the
/// encoders (`*save_buffer`, metadata stripped). The output is sRGB, 8 bits per band.
///
/// Synchronous and CPU-bound; safe to call from many tasks at once (see `Vips`). The same source
/// and spec give the same bytes on the same libvips.
public enum ImageDeriver {
    public static func derive(_ source: Data, spec: DeriveSpec) throws(DeriveError) -> Data {
        try make(source, spec: spec).data
    }

    /// `derive`, with the size the output came out at (a one-sided size or an `inside` fit decide
    /// the other side from the source).
    public static func make(_ source: Data, spec: DeriveSpec) throws(DeriveError) -> DerivedImage {
        try Vips.start()
        try validate(spec)
        // Fonts first: a missing one is an input error, found before any pixel is decoded.
        for name in spec.fontNames { _ = try DeriveFonts.resolve(name) }
        guard !source.isEmpty else { throw .sourceNotAnImage("the data is empty") }
        // libvips reads `source` lazily, up to the save: everything happens inside this closure.
        return try Vips.withBytes(of: source) { raw throws(DeriveError) in
            var image = try sized(raw, spec)
            let opaque = !image.hasAlpha
            for (i, overlay) in spec.overlays.enumerated() {
                image = try draw(overlay, number: i + 1, on: image)
            }
            if opaque && image.hasAlpha {
                // Compositing adds an alpha band, opaque everywhere on an opaque base: drop it.
                let composed = image
                image = try Vips.make("extract_band") { cvips_extract_bands(composed.pointer, $0, 0, Int32(composed.bands - 1)) }
            }
            let final = try image.toSRGB8()
            return DerivedImage(data: try encode(final, spec), width: final.width, height: final.height)
        }
    }

    /// Rejects values no encoder or resize could honour, with the value and the allowed range.
    /// Cheap and pixel-free: the engine can call it (and `DeriveFonts.resolve`) before paying.
    public static func validate(_ spec: DeriveSpec) throws(DeriveError) {
        func side(_ value: Int, _ name: String) throws(DeriveError) {
            guard (1...DeriveSize.maxSide).contains(value) else {
                throw .invalidSpec("the \(name) \(value) is out of range; give 1 to \(DeriveSize.maxSide) pixels")
            }
        }
        switch spec.size {
        case .exact(let w, let h):
            try side(w, "width")
            try side(h, "height")
        case .width(let w): try side(w, "width")
        case .height(let h): try side(h, "height")
        }
        if let q = spec.quality, !(1...100).contains(q) {
            throw .invalidSpec("the quality \(q) is out of range; give 1 to 100")
        }
        for (i, overlay) in spec.overlays.enumerated() {
            let n = i + 1
            switch overlay {
            case .image(let o):
                if let w = o.width { try side(w, "width of overlay \(n)") }
                if let h = o.height { try side(h, "height of overlay \(n)") }
                guard o.margin >= 0 else { throw .invalidSpec("the margin of overlay \(n) is negative; give 0 or more pixels") }
                guard (0...1).contains(o.opacity) else {
                    throw .invalidSpec("the opacity of overlay \(n) is \(o.opacity); give 0 to 1")
                }
            case .text(let t):
                guard t.size > 0, t.size <= 2000 else {
                    throw .invalidSpec("the font size of overlay \(n) is \(t.size); give a size above 0, in pixels")
                }
                guard t.margin >= 0 else { throw .invalidSpec("the margin of overlay \(n) is negative; give 0 or more pixels") }
                if let w = t.maxWidth { try side(w, "maximum width of overlay \(n)") }
                guard !t.text.isEmpty else { throw .invalidSpec("overlay \(n) has no text; give the text to draw") }
            }
        }
    }

    /// Decodes (shrinking on load) and fits the source to the spec's size, upright and in sRGB.
    private static func sized(_ raw: UnsafeRawBufferPointer, _ spec: DeriveSpec) throws(DeriveError) -> VipsImageRef {
        guard let base = raw.baseAddress else { throw .sourceNotAnImage("the data is empty") }
        // The header alone: is it an image, is it colour-managed, which way up is it.
        var header: UnsafeMutablePointer<VipsImage>?
        guard cvips_header_from_buffer(base, raw.count, &header) == 0, let header else {
            throw .sourceNotAnImage(Vips.takeError())
        }
        let source = VipsImageRef(header)
        // With an embedded profile (Display P3, Adobe RGB …) the pixels are converted to sRGB;
        // without one they are taken as sRGB already.
        let profile: String? = source.hasICCProfile ? "srgb" : nil

        let unbounded = Int(VIPS_MAX_COORD)
        var width: Int, height: Int
        var size = VIPS_SIZE_BOTH
        var crop = VIPS_INTERESTING_NONE
        var canvas: (width: Int, height: Int)?
        switch spec.size {
        case .width(let w): (width, height) = (w, unbounded)
        case .height(let h): (width, height) = (unbounded, h)
        case .exact(let w, let h):
            (width, height) = (w, h)
            switch spec.fit {
            case .cover: crop = interesting(spec.crop, source: source.uprightSize, target: (w, h))
            case .contain: canvas = (w, h)
            case .fill: size = VIPS_SIZE_FORCE
            case .inside: break
            }
        }
        var image = try Vips.make("thumbnail_buffer") {
            cvips_thumbnail_buffer(base, raw.count, $0, Int32(width), Int32(height), size, crop, profile)
        }
        image = try image.toSRGB8()
        if let canvas {
            image = try contained(image, in: canvas, background: spec.background ?? .white)
        }
        return image
    }

    /// The libvips crop strategy for a cover fit. A gravity crops one axis only (the sides that
    /// fit are kept whole), so its component along the cropped axis picks the low, centre or high end.
    package static func interesting(_ crop: DeriveCrop, source: (width: Int, height: Int),
                            target: (width: Int, height: Int)) -> VipsInteresting {
        switch crop {
        case .attention: return VIPS_INTERESTING_ATTENTION
        case .entropy: return VIPS_INTERESTING_ENTROPY
        case .gravity(let g):
            // Source wider than the target (cross-multiplied to stay exact): the width is cropped.
            let cropsWidth = source.width * target.height > target.width * source.height
            switch cropsWidth ? g.horizontal : g.vertical {
            case -1: return VIPS_INTERESTING_LOW
            case 1: return VIPS_INTERESTING_HIGH
            default: return VIPS_INTERESTING_CENTRE
            }
        }
    }

    /// `image` centred on a `canvas`-sized background.
    private static func contained(_ image: VipsImageRef, in canvas: (width: Int, height: Int),
                                  background: DeriveColor) throws(DeriveError) -> VipsImageRef {
        let translucent = background.a < 255
        let input = translucent ? try image.withAlpha() : image
        let fill = input.hasAlpha ? background.rgba : background.rgb
        return try Vips.make("gravity") {
            cvips_gravity(input.pointer, $0, VIPS_COMPASS_DIRECTION_CENTRE, Int32(canvas.width), Int32(canvas.height),
                          fill, Int32(fill.count))
        }
    }

    /// The encoded bytes, metadata stripped. JPEG has no alpha: transparency is flattened onto
    /// the background colour.
    private static func encode(_ image: VipsImageRef, _ spec: DeriveSpec) throws(DeriveError) -> Data {
        let quality = Int32(spec.effectiveQuality ?? 0)
        switch spec.format {
        case .jpeg:
            var flat = image
            if image.hasAlpha {
                let background = (spec.background ?? .white).rgb
                flat = try Vips.make("flatten") { cvips_flatten(image.pointer, $0, background, Int32(background.count)) }
            }
            return try Vips.save("jpegsave_buffer") { cvips_jpegsave_buffer(flat.pointer, $0, $1, quality) }
        case .png:
            return try Vips.save("pngsave_buffer") { cvips_pngsave_buffer(image.pointer, $0, $1) }
        case .webp:
            let encoded = try Vips.save("webpsave_buffer") { cvips_webpsave_buffer(image.pointer, $0, $1, quality) }
            return try Vips.withBytes(of: encoded) { raw throws(DeriveError) in
                try Vips.save("webpmux") { cvips_webp_without_metadata(raw.baseAddress, raw.count, $0, $1) }
            }
        case .avif:
            return try Vips.save("heifsave_buffer") { cvips_avifsave_buffer(image.pointer, $0, $1, quality) }
        }
    }
}
