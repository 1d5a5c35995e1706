import Yams
import AssetBuildSupport
import AssetBuildDeriveSpec

/// Reads a derived target's `overlays:`, drawn in order: pictures (`image: logo.svg`) and text
/// (`text: "${copy.headline}"`). Fonts are only named here; the plan checks them against the
/// installed fonts, at `fontLocation`.
package struct OverlayParser {
    package var templates: TemplateParser

    package static let imageKeys = ["image", "gravity", "margin", "width", "height", "opacity"]
    package static let textKeys = ["text", "font", "size", "color", "gravity", "margin", "max_width"]
    /// The largest font size: a line of text taller than any channel asset is a typo.
    package static let maxFontSize = 2000.0

    /// The overlays in `node` (a list; one mapping is a list of one). nil when one of them is
    /// bad (already reported).
    package func parse(_ node: Node, tree: inout YAMLTree) -> [Located<OverlayDeclaration>]? {
        let items: [Node]
        switch node {
        case .sequence(let seq): items = Array(seq)
        case .mapping: items = [node]
        default:
            tree.error("'overlays' must be a list of {image: …} and {text: …} mappings, found \(tree.describe(node))", at: node)
            return nil
        }
        var out: [Located<OverlayDeclaration>] = []
        var valid = true
        for item in items {
            if let o = overlay(item, tree: &tree) { out.append(o) } else { valid = false }
        }
        return valid ? out : nil
    }

    /// One overlay, located at its file or text (what a message about it points at).
    private func overlay(_ node: Node, tree: inout YAMLTree) -> Located<OverlayDeclaration>? {
        guard let entries = tree.entries(of: node, context: "an overlay") else { return nil }
        let kinds = entries.filter { $0.key == "image" || $0.key == "text" }
        guard let kind = kinds.first else {
            tree.error("an overlay needs 'image: FILE' (a logo, SVG or PNG) or 'text: \"…\"'", at: node,
                       notes: ["e.g. {image: brand/logo.svg, gravity: south-east, margin: 32, width: 160} or {text: \"${copy.headline}\", font: \"DejaVu Sans Bold\", size: 64}"])
            tree.checkKeys(entries, known: Self.imageKeys + Self.textKeys.filter { !Self.imageKeys.contains($0) })
            return nil
        }
        if kinds.count > 1 {
            tree.error("an overlay is a picture or text, not both: write 'image' and 'text' as two overlays", at: kinds[1].keyNode)
            return nil
        }
        let isImage = kind.key == "image"
        let (known, other) = isImage ? (Self.imageKeys, Self.textKeys) : (Self.textKeys, Self.imageKeys)
        var elsewhere: [String: String] = [:]
        for k in other where !known.contains(k) {
            elsewhere[k] = isImage ? "is for text overlays, not for an 'image:' one" : "is for image overlays, not for a 'text:' one"
        }
        tree.checkKeys(entries, known: known, elsewhere: elsewhere)
        var valid = entries.allSatisfy { known.contains($0.key) }
        func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
        func read<T>(_ key: String, _ parse: (Node, inout YAMLTree) -> T?) -> T? {
            guard let n = value(key) else { return nil }
            let v = parse(n, &tree)
            if v == nil { valid = false }
            return v
        }
        let maxSide = DeriveSize.maxSide
        let gravity = read("gravity") { n, t in t.choice(n, for: "gravity", DeriveGravity.allCases.map(\.rawValue)).flatMap(DeriveGravity.init) }
        let margin = read("margin") { n, t in t.int(n, for: "margin", range: 0...maxSide) }

        if isImage {
            let file = tree.string(kind.value, for: "image")
            let width = read("width") { n, t in t.int(n, for: "width", range: 1...maxSide) }
            let height = read("height") { n, t in t.int(n, for: "height", range: 1...maxSide) }
            let opacity = read("opacity") { n, t in t.double(n, for: "opacity", range: 0...1) }
            guard let file, valid else { return nil }
            return Located(.image(ImageOverlayDeclaration(file: file, gravity: gravity ?? .southEast, margin: margin ?? 0, width: width,
                                                          height: height, opacity: opacity ?? 1)), at: tree.location(kind.value))
        }
        let text = tree.string(kind.value, for: "text").map { templates.parse($0, node: kind.value, tree: &tree) }
        if let literal = text?.literalText, literal.allSatisfy(\.isWhitespace) {
            tree.error("the text of an overlay is empty\(literal.isEmpty ? "" : " (only spaces)"); write what it should say", at: kind.value)
            valid = false
        }
        let fontNode = value("font")
        let font = read("font") { n, t in t.string(n, for: "font") }
        let size = read("size") { n, t in t.double(n, for: "size", range: 1...Self.maxFontSize) }
        let color = read("color") { n, t in DeriveOptions.color(n, for: "color", tree: &t) }
        let maxWidth = read("max_width") { n, t in t.int(n, for: "max_width", range: 1...maxSide) }
        if fontNode == nil {
            tree.error("a text overlay needs a 'font', such as font: \"DejaVu Sans Bold\" (`fc-list : family style` lists the installed ones)",
                       at: kind.keyNode)
            valid = false
        }
        if value("size") == nil {
            tree.error("a text overlay needs a 'size': the font size in pixels, such as size: 48", at: kind.keyNode)
            valid = false
        }
        guard let text, let font, let fontNode, let size, valid else { return nil }
        return Located(.text(TextOverlayDeclaration(text: text, font: font, fontLocation: tree.location(fontNode), size: size,
                                                    color: color ?? .white, gravity: gravity ?? .northWest, margin: margin ?? 0,
                                                    maxWidth: maxWidth)), at: tree.location(kind.value))
    }
}
