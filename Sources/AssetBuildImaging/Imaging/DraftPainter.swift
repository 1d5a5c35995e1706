import Foundation
import AssetBuildSupport
import AssetBuildCatalog

/// Lays out and paints one draft. Sizes derive from `body`, the prompt's text size, which scales with
/// the image (about 1/32 of the width, 1/18 of the height or 1/42 of the geometric mean, whichever is
/// least, and never below 8 px), so a draft reads the same at 720×1280 and at 4096×4096.
/// Every element is placed inside the image and gets only the lines that fit, so extreme aspect
/// ratios lose detail, never pixels outside the frame.
package struct DraftPainter {
    package let spec: DraftArtSpec
    package let text: TextRenderer
    package var image: RGBImage
    /// Prompt text size in pixels.
    package let body: Int
    package let margin: Int
    package let gap: Int
    package let background: (start: RGBColor, end: RGBColor)
    /// Seeds the layout choices the prompt does not make; differs per image of a group.
    package let seed: UInt64

    /// The colour of the "DRAFT" mark and frame.
    package static let accent = RGBColor(hex: 0xE53935)
    package static let panelInk = RGBColor(hex: 0xF7F7F7)
    package static let labelInk = RGBColor(hex: 0xFFD54F)

    package init(spec: DraftArtSpec, text: TextRenderer) {
        self.spec = spec
        self.text = text
        image = RGBImage(width: spec.width, height: spec.height)
        let (w, h) = (Double(spec.width), Double(spec.height))
        body = max(8, Int(min(w / 32, h / 18, (w * h).squareRoot() / 42)))
        margin = max(3, body * 9 / 10)
        gap = max(2, body / 2)
        background = DraftPalette.gradient(prompt: spec.prompt, key: spec.key)
        seed = DraftPalette.fnv1a("\(spec.key)#\(spec.index)")
    }

    package mutating func paint() {
        image.fillDiagonalGradient(image.bounds, start: background.start, end: background.end)
        paintMotif()
        if spec.width * 10 >= spec.height * 22 { paintWide() } else { paintTall() }
        image.strokeRect(image.bounds, color: Self.accent, thickness: max(2, body / 5))
    }

    /// Portrait, square and moderately wide images: header, prompt panel, references, footer, stacked.
    private mutating func paintTall() {
        let content = image.bounds.insetBy(margin)
        var y = content.y
        let badge = paintDraftBadge(x: content.x, y: y, limit: content.maxY)
        if spec.count > 1 {
            paintGroupBadge(right: content.maxX, y: y, height: badge.height)
        }
        y = badge.maxY + gap
        y += paintTitle(in: PixelRect(x: content.x, y: y, width: content.width, height: content.maxY - y),
                        titlePx: body * 26 / 10)
        let footerHeight = paintFooter(in: content, above: content.maxY, minTop: y)
        var bottom = content.maxY - footerHeight - (footerHeight > 0 ? gap : 0)
        if !spec.references.isEmpty {
            let stripMax = min(bottom - y - Self.lineHeight(body) * 2, content.height * 28 / 100)
            let used = paintReferences(in: PixelRect(x: content.x, y: bottom - stripMax, width: content.width,
                                                     height: stripMax), anchorBottom: true)
            if used > 0 { bottom -= used + gap }
        }
        let panelBottom = paintPromptPanel(in: PixelRect(x: content.x, y: y + gap / 2, width: content.width,
                                                         height: bottom - y - gap / 2))
        if spec.count > 1 {
            paintIndexNumeral(in: PixelRect(x: content.x, y: panelBottom + gap, width: content.width,
                                            height: bottom - panelBottom - 2 * gap))
        }
    }

    /// Images at least 2.2 times wider than tall: a header column, the prompt panel, then the references.
    private mutating func paintWide() {
        let content = image.bounds.insetBy(margin)
        let columnWidth = min(content.width * 30 / 100, content.height * 3)
        var y = content.y
        let badge = paintDraftBadge(x: content.x, y: y, limit: content.maxY)
        if spec.count > 1 {
            paintGroupBadge(right: content.x + columnWidth, y: y, height: badge.height)
        }
        y = badge.maxY + gap
        y += paintTitle(in: PixelRect(x: content.x, y: y, width: columnWidth, height: content.maxY - y),
                        titlePx: min(body * 26 / 10, content.height / 4))
        let column = PixelRect(x: content.x, y: y, width: columnWidth, height: content.maxY - y)
        _ = paintFooter(in: column, above: content.maxY, minTop: y)

        var right = content.maxX
        if !spec.references.isEmpty {
            let width = min(content.width * 34 / 100, content.maxX - (content.x + columnWidth + gap) - body * 4)
            if width > 0 {
                let area = PixelRect(x: right - width, y: content.y, width: width, height: content.height)
                if paintReferences(in: area, anchorBottom: false) > 0 { right = area.x - gap }
            }
        }
        let left = content.x + columnWidth + gap
        _ = paintPromptPanel(in: PixelRect(x: left, y: content.y, width: right - left, height: content.height))
    }

    // MARK: Elements

    /// The red "DRAFT" badge with its top-left corner at (`x`, `y`); returns its frame.
    private mutating func paintDraftBadge(x: Int, y: Int, limit: Int) -> PixelRect {
        let px = max(8, body * 11 / 10)
        let pad = max(2, px / 3)
        let size = text.measure("DRAFT", pixelHeight: px, bold: true)
        let frame = PixelRect(x: x, y: y, width: size.width + pad * 3, height: min(size.height + pad, limit - y))
        image.fillRect(frame, color: Self.accent)
        text.draw("DRAFT", into: &image, x: x + pad * 3 / 2, y: y + pad / 2, pixelHeight: px, color: .white,
                  maxLines: 1, bold: true)
        return frame
    }

    /// "2 / 4" in a white box whose right edge is `right`, for images of a group.
    private mutating func paintGroupBadge(right: Int, y: Int, height: Int) {
        let label = "\(spec.index) / \(spec.count)"
        let px = max(8, body * 11 / 10)
        let pad = max(2, px / 3)
        let width = text.measure(label, pixelHeight: px, bold: true).width + pad * 3
        let frame = PixelRect(x: right - width, y: y, width: width, height: height)
        image.fillRect(frame, color: .white)
        text.draw(label, into: &image, x: frame.x + pad * 3 / 2, y: y + pad / 2, pixelHeight: px,
                  color: RGBColor(hex: 0x1A1A1A), maxLines: 1, bold: true)
    }

    /// The target name, shrunk to fit one line when it can (two at most), then "image i of n" for a
    /// group; returns the height used.
    private mutating func paintTitle(in area: PixelRect, titlePx: Int) -> Int {
        guard area.width > 0, area.height > 0 else { return 0 }
        let natural = text.measure(spec.target, pixelHeight: titlePx, bold: true).width
        var px = titlePx
        if natural > area.width { px = max(body, titlePx * area.width / max(1, natural)) }
        let lines = min(2, area.height / Self.lineHeight(px))
        guard lines > 0 else { return 0 }
        let ink = inks(for: PixelRect(x: area.x, y: area.y, width: area.width, height: Self.lineHeight(px) * lines))
        var used = drawShadowed(spec.target, x: area.x, y: area.y, px: px, ink: ink, maxWidth: area.width,
                                maxLines: lines, bold: true)
        if spec.count > 1 {
            let subPx = max(8, body * 12 / 10)
            if area.height - used >= Self.lineHeight(subPx) {
                used += drawShadowed("image \(spec.index) of \(spec.count)", x: area.x, y: area.y + used, px: subPx,
                                     ink: ink, maxWidth: area.width, maxLines: 1, bold: false)
            }
        }
        return used
    }

    /// Model, exact size (and what was asked when it differs) and the request digest, bottom-aligned at `above`
    /// but never above `minTop`; returns the height used.
    private mutating func paintFooter(in area: PixelRect, above bottom: Int, minTop: Int) -> Int {
        let px = max(8, body * 8 / 10)
        let exact = "\(spec.width)×\(spec.height)"
        let asked = spec.sizeLabel.replacingOccurrences(of: "x", with: "×")
        let size = asked.isEmpty || asked == exact ? exact : "\(exact) (\(spec.sizeLabel))"
        let meta = "\(spec.model)  ·  \(size)  ·  request \(spec.key.prefix(12))"
        let maxLines = min(3, (bottom - minTop) / Self.lineHeight(px))
        guard maxLines > 0 else { return 0 }
        let height = text.measure(meta, pixelHeight: px, maxWidth: area.width, maxLines: maxLines).height
        let top = bottom - height
        let ink = inks(for: PixelRect(x: area.x, y: top, width: area.width, height: height))
        return drawShadowed(meta, x: area.x, y: top, px: px, ink: ink, maxWidth: area.width, maxLines: maxLines,
                            bold: false)
    }

    /// A dark translucent panel holding "PROMPT" and the prompt, at the largest of three sizes at
    /// which the whole prompt fits (else the smallest, ending in "…"). The panel shrinks to its text;
    /// returns its bottom edge (`area.y` when nothing fitted).
    private mutating func paintPromptPanel(in area: PixelRect) -> Int {
        let pad = max(3, body * 7 / 10)
        let labelPx = max(8, body * 7 / 10)
        let inner = area.insetBy(pad)
        let labelHeight = Self.lineHeight(labelPx)
        guard inner.width >= body * 2, inner.height >= Self.lineHeight(body) else { return area.y }
        let showLabel = inner.height >= labelHeight + Self.lineHeight(body) * 2
        let textTop = inner.y + (showLabel ? labelHeight + pad / 3 : 0)
        let prompt = spec.prompt.isEmpty ? "(empty prompt)" : spec.prompt
        var chosen = (px: body, height: 0, lines: 0)
        for px in [body * 16 / 10, body * 13 / 10, body] {
            let lines = (inner.maxY - textTop) / Self.lineHeight(px)
            guard lines > 0 else { continue }
            let size = text.measure(prompt, pixelHeight: px, maxWidth: inner.width, maxLines: lines + 1)
            chosen = (px, min(size.height, lines * Self.lineHeight(px)), lines)
            if size.height <= lines * Self.lineHeight(px) { break }
        }
        guard chosen.lines > 0 else { return area.y }
        let panel = PixelRect(x: area.x, y: area.y, width: area.width, height: textTop - area.y + chosen.height + pad)
        image.blendRect(panel, color: RGBColor(hex: 0x101014), alpha: 0.62)
        if showLabel {
            text.draw("PROMPT", into: &image, x: inner.x, y: inner.y, pixelHeight: labelPx, color: Self.labelInk,
                      maxWidth: inner.width, maxLines: 1, bold: true)
        }
        text.draw(prompt, into: &image, x: inner.x, y: textTop, pixelHeight: chosen.px, color: Self.panelInk,
                  maxWidth: inner.width, maxLines: chosen.lines)
        return panel.maxY
    }

    /// The image's number in its group, as large as `area` allows, right-aligned and faint: the
    /// quickest way to tell the images of a group apart.
    private mutating func paintIndexNumeral(in area: PixelRect) {
        guard area.height >= body * 3, area.width >= body * 3 else { return }
        let numeral = "\(spec.index)"
        var px = area.height * 100 / 128
        let width = text.measure(numeral, pixelHeight: px, bold: true).width
        if width > area.width * 6 / 10 { px = px * area.width * 6 / 10 / max(1, width) }
        let size = text.measure(numeral, pixelHeight: px, bold: true)
        let top = area.y + (area.height - size.height) / 2
        let under = inks(for: PixelRect(x: area.maxX - size.width, y: top, width: size.width, height: size.height))
        let tint = under.0 == .white ? RGBColor.white : RGBColor.black
        let sample = image[min(image.width - 1, max(0, area.maxX - 1)), min(image.height - 1, max(0, top))]
        text.draw(numeral, into: &image, x: area.maxX - size.width, y: top, pixelHeight: px,
                  color: sample.mixed(with: tint, amount: 0.3), maxLines: 1, bold: true)
    }

    /// A few large translucent discs placed by `seed`, so images of one group differ in shape too.
    private mutating func paintMotif() {
        var state = seed | 1
        func next(_ bound: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17  // xorshift64
            return Int(state % UInt64(max(1, bound)))
        }
        let (w, h) = (spec.width, spec.height)
        let scale = Int((Double(w) * Double(h)).squareRoot())
        for i in 0..<3 {
            let radius = scale / 8 + next(scale / 4)
            image.blendCircle(centerX: next(w), centerY: next(h), radius: radius, color: i == 1 ? .black : .white,
                              alpha: 0.08 + Double(next(8)) / 100)
        }
    }

    // MARK: Helpers

    package static func lineHeight(_ px: Int) -> Int { TextRenderer.lineMetrics(pixelHeight: px).lineHeight }

    /// Text with a one-step drop shadow in the contrasting colour; returns the height used.
    private mutating func drawShadowed(_ string: String, x: Int, y: Int, px: Int, ink: (RGBColor, RGBColor),
                                       maxWidth: Int, maxLines: Int, bold: Bool) -> Int {
        let offset = max(1, px / 22)
        text.draw(string, into: &image, x: x + offset, y: y + offset, pixelHeight: px, color: ink.1,
                  maxWidth: maxWidth, maxLines: maxLines, bold: bold)
        return text.draw(string, into: &image, x: x, y: y, pixelHeight: px, color: ink.0, maxWidth: maxWidth,
                         maxLines: maxLines, bold: bold)
    }

    /// Text and shadow colours that contrast with what is already painted under `rect` (sampled).
    package func inks(for rect: PixelRect) -> (RGBColor, RGBColor) {
        let r = rect.intersection(image.bounds)
        guard !r.isEmpty else { return (.white, .black) }
        var sum = 0.0, n = 0.0
        for sy in 0..<8 {
            for sx in 0..<16 {
                sum += image[r.x + sx * (r.width - 1) / 15, r.y + sy * (r.height - 1) / 7].luminance
                n += 1
            }
        }
        return sum / n > 0.58 ? (RGBColor(hex: 0x121212), RGBColor(hex: 0xFFFFFF).mixed(with: .black, amount: 0.1))
                              : (.white, RGBColor(hex: 0x000000))
    }
}
