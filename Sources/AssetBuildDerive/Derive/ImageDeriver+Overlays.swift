import CVips
import Foundation
import AssetBuildSupport

extension ImageDeriver {
    /// `base` with overlay number `number` (1-based, for messages) composited on top.
    package static func draw(_ overlay: DeriveOverlay, number: Int, on base: VipsImageRef) throws(DeriveError) -> VipsImageRef {
        let layer: VipsImageRef
        let gravity: DeriveGravity
        let margin: Int
        switch overlay {
        case .image(let o):
            layer = try picture(o, number: number)
            (gravity, margin) = (o.gravity, o.margin)
        case .text(let t):
            layer = try lettering(t)
            (gravity, margin) = (t.gravity, t.margin)
        }
        let at = gravity.origin(of: (layer.width, layer.height), in: (base.width, base.height), margin: margin)
        return try Vips.make("composite2") { cvips_composite_over(base.pointer, layer.pointer, $0, Int32(at.x), Int32(at.y)) }
    }

    /// The overlay file decoded (SVG rendered at the asked size, a bitmap shrunk on load) into an
    /// sRGB image with alpha, in memory, with its opacity applied.
    private static func picture(_ o: DeriveImageOverlay, number: Int) throws(DeriveError) -> VipsImageRef {
        let image = try Vips.withBytes(of: o.bytes) { raw throws(DeriveError) in
            guard let base = raw.baseAddress else { throw .overlayNotAnImage(index: number, "the file is empty") }
            var header: UnsafeMutablePointer<VipsImage>?
            guard cvips_header_from_buffer(base, raw.count, &header) == 0, let header else {
                throw .overlayNotAnImage(index: number, Vips.takeError())
            }
            g_object_unref(header)
            let loaded: VipsImageRef
            if o.width != nil || o.height != nil {
                let unbounded = Int32(VIPS_MAX_COORD)
                let w = o.width.map(Int32.init) ?? unbounded, h = o.height.map(Int32.init) ?? unbounded
                loaded = try Vips.make("thumbnail_buffer") {
                    cvips_thumbnail_buffer(base, raw.count, $0, w, h, VIPS_SIZE_BOTH, VIPS_INTERESTING_NONE, nil)
                }
            } else {
                loaded = try Vips.make("image_new_from_buffer") { cvips_load_buffer_memory(base, raw.count, $0) }
            }
            // Rendered now, so nothing refers to the overlay's bytes after this closure.
            return try loaded.toSRGB8().withAlpha().copyMemory()
        }
        guard o.opacity < 1 else { return image }
        var scale = [Double](repeating: 1, count: image.bands)
        scale[scale.count - 1] = o.opacity
        let offset = [Double](repeating: 0, count: image.bands)
        let faded = try Vips.make("linear") { cvips_linear(image.pointer, $0, scale, offset, Int32(scale.count)) }
        return try Vips.make("cast") { cvips_cast(faded.pointer, $0, VIPS_FORMAT_UCHAR) }
    }

    /// The text set by Pango in the overlay's font, wrapped to its maximum width and aligned to
    /// its gravity's side, as an sRGB image with alpha in the overlay's colour.
    private static func lettering(_ t: DeriveTextOverlay) throws(DeriveError) -> VipsImageRef {
        let align: VipsAlign = switch t.gravity.horizontal {
        case -1: VIPS_ALIGN_LOW
        case 1: VIPS_ALIGN_HIGH
        default: VIPS_ALIGN_CENTRE
        }
        // 72 dpi makes one point one pixel, so `size` is the font size in pixels.
        let mask = try Vips.make("text") {
            cvips_text($0, markupEscaped(t.text), t.pangoDescription, Int32(t.maxWidth ?? 0), align, 72)
        }
        // Colour everywhere, the coverage mask (scaled by the colour's alpha) as alpha.
        let alpha: VipsImageRef
        if t.color.a == 255 {
            alpha = mask
        } else {
            let scaled = try Vips.make("linear") { cvips_linear(mask.pointer, $0, [Double(t.color.a) / 255], [0], 1) }
            alpha = try Vips.make("cast") { cvips_cast(scaled.pointer, $0, VIPS_FORMAT_UCHAR) }
        }
        let rgb = t.color.rgb
        guard let fill = vips_image_new_from_image(mask.pointer, rgb, Int32(rgb.count)) else {
            throw .vips(operation: "image_new_from_image", message: Vips.takeError())
        }
        let colour = VipsImageRef(fill)
        let joined = try Vips.make("bandjoin") { cvips_bandjoin2(colour.pointer, alpha.pointer, $0) }
        return try Vips.make("copy") { cvips_copy_interpretation(joined.pointer, $0, VIPS_INTERPRETATION_sRGB) }
    }

    /// `text` as Pango markup that shows exactly that text (vips_text reads markup).
    package static func markupEscaped(_ text: String) -> String { MarkupText.escape(text) }
}
