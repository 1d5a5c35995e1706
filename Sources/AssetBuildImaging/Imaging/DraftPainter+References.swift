import Foundation
import AssetBuildSupport
import AssetBuildCatalog

/// Reference thumbnails: one square tile per reference with its label underneath. JPEG and PNG
/// references show their pixels; other formats, missing bytes (URLs) and unreadable data get a
/// labelled placeholder tile.
extension DraftPainter {
    /// What a tile shows.
    package enum Thumbnail {
        case picture(RGBImage)
        /// A short word for the tile (`gif`, `url`, `missing`, `unreadable`).
        case placeholder(String)
    }

    /// Paints the tiles in `area`, left to right, as large as fits (at most 9 × `body`), aligned to
    /// the area's bottom or top. Returns the height used; 0 when even small tiles do not fit, in which
    /// case a single line "references: …" is drawn instead when there is room for it.
    package mutating func paintReferences(in area: PixelRect, anchorBottom: Bool) -> Int {
        let count = spec.references.count
        guard count > 0, area.width > 0, area.height > 0 else { return 0 }
        let labelPx = max(8, body * 3 / 4)
        let labelHeight = Self.lineHeight(labelPx)
        let across = (area.width - (count - 1) * gap) / count
        let tile = min(across, area.height - labelHeight - gap / 2, body * 9)
        guard tile >= 16 else { return paintReferenceLine(in: area, anchorBottom: anchorBottom) }
        let used = tile + gap / 2 + labelHeight
        let top = anchorBottom ? area.maxY - used : area.y
        for (i, reference) in spec.references.enumerated() {
            let box = PixelRect(x: area.x + i * (tile + gap), y: top, width: tile, height: tile)
            paintTile(reference, in: box)
            let labelTop = box.maxY + gap / 2
            let ink = inks(for: PixelRect(x: box.x, y: labelTop, width: tile, height: labelHeight))
            text.draw(reference.label, into: &image, x: box.x, y: labelTop, pixelHeight: labelPx, color: ink.0,
                      maxWidth: tile, maxLines: 1, alignment: .center)
        }
        return used
    }

    /// The fallback when tiles would be too small: the labels on one line.
    private mutating func paintReferenceLine(in area: PixelRect, anchorBottom: Bool) -> Int {
        let px = max(8, body * 3 / 4)
        let height = Self.lineHeight(px)
        guard area.height >= height else { return 0 }
        let top = anchorBottom ? area.maxY - height : area.y
        let line = "references: " + spec.references.map(\.label).joined(separator: ", ")
        let ink = inks(for: PixelRect(x: area.x, y: top, width: area.width, height: height))
        return text.draw(line, into: &image, x: area.x, y: top, pixelHeight: px, color: ink.0, maxWidth: area.width,
                         maxLines: 1)
    }

    /// One tile: a dark square, the picture fitted inside it (aspect kept) or a placeholder, a frame.
    private mutating func paintTile(_ reference: DraftArtReference, in box: PixelRect) {
        let border = max(1, box.width / 48)
        let inner = box.insetBy(border)
        image.fillRect(box, color: RGBColor(hex: 0x1C1C20))
        switch Self.thumbnail(for: reference, maxSide: inner.width) {
        case .picture(let picture):
            let size = picture.fittingSize(maxWidth: inner.width, maxHeight: inner.height)
            image.draw(picture, in: PixelRect(x: inner.x + (inner.width - size.width) / 2,
                                              y: inner.y + (inner.height - size.height) / 2,
                                              width: size.width, height: size.height))
        case .placeholder(let word):
            image.fillRect(inner, color: RGBColor(hex: 0x3A3D46))
            // A cross marks "no picture here" even when the word is too small to read.
            let t = max(1, inner.width / 40)
            for step in Swift.stride(from: 0, to: inner.width, by: max(1, t)) {
                let d = step * inner.height / max(1, inner.width)
                image.fillRect(PixelRect(x: inner.x + step, y: inner.y + d, width: t, height: t),
                               color: RGBColor(hex: 0x5A5E6A))
                image.fillRect(PixelRect(x: inner.maxX - step - t, y: inner.y + d, width: t, height: t),
                               color: RGBColor(hex: 0x5A5E6A))
            }
            let px = max(8, inner.width / 5)
            let lineHeight = Self.lineHeight(px)
            text.draw(word.uppercased(), into: &image, x: inner.x, y: inner.y + (inner.height - lineHeight) / 2,
                      pixelHeight: px, color: .white, maxWidth: inner.width, maxLines: 1, bold: true,
                      alignment: .center)
        }
        image.strokeRect(box, color: RGBColor(hex: 0xF2F2F2), thickness: border)
    }

    /// Decodes a reference for a tile of `maxSide` pixels; JPEGs decode at a reduced scale.
    package static func thumbnail(for reference: DraftArtReference, maxSide: Int) -> Thumbnail {
        guard let data = reference.data else {
            let isURL = reference.label.hasPrefix("http://") || reference.label.hasPrefix("https://")
            return .placeholder(isURL ? "url" : "missing")
        }
        guard let info = try? ImageProbe.probe(data) else { return .placeholder("unreadable") }
        switch info.format {
        case .jpeg:
            guard let picture = try? JPEGCodec.decode(data, maxDimension: maxSide) else { return .placeholder("unreadable") }
            return .picture(picture)
        case .png:
            guard let picture = try? PNGCodec.decode(data) else { return .placeholder("unreadable") }
            return .picture(picture)
        case .webp, .bmp, .tiff, .gif:
            return .placeholder(info.format.rawValue)
        }
    }
}
