import Yams
import AssetBuildSupport
import AssetBuildDeriveSpec

/// The options a variant and a derived target share (`size` or `width`/`height`, `fit`, `crop`,
/// `format`, `quality`, `background`, `output`), read and checked, each with its position.
package struct DeriveOptions {
    package static let keys = ["size", "width", "height", "fit", "crop", "format", "quality", "background", "output"]

    package var size: Located<DeriveSize>?
    package var fit: Located<DeriveFit>?
    package var crop: Located<DeriveCrop>?
    /// `format:`, or else what the `output:` extension says; nil: neither (JPEG, `defaultFormat`).
    package var format: Located<DeriveFormat>?
    package var quality: Located<Int>?
    package var background: Located<DeriveColor>?
    package var output: Located<String>?
    /// False when some value was bad (already reported): no target is made from these options.
    package var isValid = true

    /// A derived image is a JPEG unless it says otherwise: the service returns JPEG, so a resize
    /// keeps the format its source came in, and every channel (Open Graph, social posts, mail)
    /// takes JPEG. The format never depends on the source's own options, so outputs can be named
    /// from the manifest alone.
    package static let defaultFormat = DeriveFormat.jpeg

    /// The file name extensions of each format (`.jpg` is a JPEG too).
    package static let extensions: [String: DeriveFormat] = ["jpeg": .jpeg, "jpg": .jpeg, "png": .png, "webp": .webp, "avif": .avif]

    /// Reads the shared options among `entries` (other keys are the caller's). `owner` names the
    /// image in messages ("variant 'og' of 'hero'"); `location` is where it is declared.
    package static func parse(_ entries: [(key: String, keyNode: Node, value: Node)], owner: String, location: SourceLocation,
                              templates: TemplateParser, tree: inout YAMLTree) -> DeriveOptions {
        var o = DeriveOptions()
        func value(_ key: String) -> (keyNode: Node, value: Node)? {
            entries.first { $0.key == key }.map { ($0.keyNode, $0.value) }
        }
        func located<T>(_ v: T?, _ node: Node) -> Located<T>? {
            guard let v else {
                o.isValid = false
                return nil
            }
            return Located(v, at: tree.location(node))
        }
        o.size = parseSize(size: value("size"), width: value("width"), height: value("height"), owner: owner, location: location,
                           valid: &o.isValid, tree: &tree)
        if let n = value("fit")?.value {
            o.fit = located(tree.choice(n, for: "fit", DeriveFit.allCases.map(\.rawValue)).flatMap(DeriveFit.init), n)
        }
        if let n = value("crop")?.value {
            o.crop = located(tree.choice(n, for: "crop", DeriveCrop.names).flatMap(DeriveCrop.init), n)
        }
        if let n = value("format")?.value {
            o.format = located(tree.choice(n, for: "format", DeriveFormat.allCases.map(\.rawValue)).flatMap(DeriveFormat.init), n)
        }
        if let n = value("quality")?.value { o.quality = located(tree.int(n, for: "quality", range: 1...100), n) }
        if let n = value("background")?.value { o.background = located(color(n, for: "background", tree: &tree), n) }
        if let n = value("output")?.value, let s = tree.string(n, for: "output") {
            let t = templates.parse(s, node: n, tree: &tree)
            if !t.fieldReferences.isEmpty {
                tree.error("'output' cannot use a target field; only ${var} placeholders", at: n)
                o.isValid = false
            }
            o.output = Located(t.literalText ?? t.display, at: tree.location(n))
            o.checkOutputExtension(owner: owner, tree: &tree)
        } else if value("output") != nil {
            o.isValid = false
        }
        o.adviseOnUnusedOptions(tree: &tree)
        return o
    }

    /// `size: WxH`, or `width:` / `height:` (one side, the other following the aspect ratio; both
    /// mean `WxH`).
    private static func parseSize(size: (keyNode: Node, value: Node)?, width: (keyNode: Node, value: Node)?,
                                  height: (keyNode: Node, value: Node)?, owner: String, location: SourceLocation,
                                  valid: inout Bool, tree: inout YAMLTree) -> Located<DeriveSize>? {
        let range = 1...DeriveSize.maxSide
        if let size {
            for side in [width, height].compactMap({ $0 }) {
                tree.error("give 'size' or 'width'/'height', not both; remove this one", at: side.keyNode)
                valid = false
            }
            guard let (w, h) = sizeValue(size.value, tree: &tree) else {
                valid = false
                return nil
            }
            return Located(.exact(width: w, height: h), at: tree.location(size.value))
        }
        let w = width.map { tree.int($0.value, for: "width", range: range) }
        let h = height.map { tree.int($0.value, for: "height", range: range) }
        switch (w, h) {
        case (nil, nil):
            tree.error("\(owner) has no size; add 'size: WxH' (such as 1080x1080), or 'width:' or 'height:' alone to keep the aspect ratio",
                       at: location)
        case (let w??, nil): return Located(.width(w), at: tree.location(width!.value))
        case (nil, let h??): return Located(.height(h), at: tree.location(height!.value))
        case (let w??, let h??): return Located(.exact(width: w, height: h), at: tree.location(width!.value))
        default: break
        }
        valid = false
        return nil
    }

    /// `1200x630` → (1200, 630), each side 1 to `DeriveSize.maxSide`; reports why not.
    private static func sizeValue(_ node: Node, tree: inout YAMLTree) -> (Int, Int)? {
        let advice = "give WxH such as 1200x630, or 'width:' or 'height:' alone to keep the aspect ratio"
        if case .scalar(let s) = node, let n = plainNumber(node) {
            tree.error("'size' must be WxH, found the number \(s.string); did you mean '\(n)x\(n)', or 'width: \(n)' to keep the aspect ratio?",
                       at: node)
            return nil
        }
        guard let raw = tree.string(node, for: "size").map(SizeSpec.trimmed) else { return nil }
        guard let (ws, hs) = SizeSpec.sides(raw), !ws.isEmpty, !hs.isEmpty,
              (ws + hs).allSatisfy({ $0.isASCII && $0.isNumber }) else {
            let preset = ["1K", "2K", "4K", "ADAPTIVE"].contains(raw.uppercased())
            tree.error("size '\(raw)' is not a size; \(advice)", at: node,
                       notes: preset ? ["'\(raw)' is a size for generating images; a derived image needs its pixels"] : [])
            return nil
        }
        let w = Int(ws) ?? .max, h = Int(hs) ?? .max
        if w == 0 || h == 0 {
            tree.error("size '\(raw)' has a side of 0; \(advice)", at: node)
            return nil
        }
        if w > DeriveSize.maxSide || h > DeriveSize.maxSide {
            tree.error("size '\(raw)' has a side over \(SizeSpec.grouped(DeriveSize.maxSide)) pixels, the most a derived image may have (WebP's limit)",
                       at: node)
            return nil
        }
        return (w, h)
    }

    /// The number a `size:` written as one plain number (`1080`) is, for "did you mean 1080x1080?".
    /// Digits only: YAML also reads `0x630` as a (hexadecimal) number, but it is a size with a side of 0.
    package static func plainNumber(_ node: Node) -> Int? {
        guard case .scalar(let s) = node, s.style == .plain, !s.string.isEmpty,
              s.string.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return Int(s.string)
    }

    /// A colour as `#rgb`, `#rrggbb` or `#rrggbbaa`.
    package static func color(_ node: Node, for key: String, tree: inout YAMLTree) -> DeriveColor? {
        if case .scalar(let s) = node, s.style == .plain, ["", "~", "null"].contains(s.string) {
            tree.error("'\(key)' has no value; a '#' after a space starts a YAML comment, so quote the colour: \(key): \"#0fb5ae\"",
                       at: node)
            return nil
        }
        guard let text = tree.string(node, for: key) else { return nil }
        guard let c = DeriveColor(hex: SizeSpec.trimmed(text)) else {
            let fix = text.hasPrefix("#") || DeriveColor(hex: "#" + text) == nil ? "" : "; did you mean '#\(text)'?"
            tree.error("'\(key)' must be a colour written #rgb, #rrggbb or #rrggbbaa, found '\(text)'\(fix)", at: node)
            return nil
        }
        return c
    }

    /// `output:` ends in the format's extension; with no `format:` the extension chooses it.
    private mutating func checkOutputExtension(owner: String, tree: inout YAMLTree) {
        guard let output else { return }
        let last = output.value.split(separator: "/").last.map(String.init) ?? ""
        let ext = last.contains(".") ? String(last[last.index(after: last.lastIndex(of: ".")!)...]).lowercased() : ""
        if let format {
            guard Self.extensions[ext] != format.value else { return }
            let wanted = format.value == .jpeg ? ".jpeg or .jpg" : "." + format.value.fileExtension
            tree.error("output '\(output.value)' must end in \(wanted): \(owner) is written as \(format.value.rawValue)", at: output.location)
            isValid = false
        } else if let f = Self.extensions[ext] {
            format = Located(f, at: output.location)
        } else {
            tree.error("output '\(output.value)' must end in .jpeg, .png, .webp or .avif (the format it is written in)", at: output.location)
            isValid = false
        }
    }

    /// Options that cannot change the image are warned about: the action key leaves them out, so
    /// removing them later costs nothing, and blocking a build over them would help no one.
    private func adviseOnUnusedOptions(tree: inout YAMLTree) {
        let side: String? = switch size?.value {
        case .width?: "width"
        case .height?: "height"
        default: nil
        }
        if let side {
            for (key, at) in [("fit", fit?.location), ("crop", crop?.location)] {
                guard let at else { continue }
                tree.warning("'\(key)' has no effect with only '\(side)': the other side follows the aspect ratio, so nothing is fitted or cropped; remove it, or give 'size: WxH'",
                             at: at)
            }
        } else if let crop, let fit, fit.value != .cover {
            tree.warning("'crop' has no effect with 'fit: \(fit.value.rawValue)': only 'fit: cover' (the default) crops; remove it",
                         at: crop.location)
        }
        if let quality, format?.value == .png {
            tree.warning("'quality' has no effect on a PNG (it is lossless); remove it, or choose jpeg, webp or avif", at: quality.location)
        }
    }

    /// The spec's sizing and encoding, defaults applied.
    package func spec(source: Located<DeriveSource>, variant: String?, size: DeriveSize,
                      overlays: [Located<OverlayDeclaration>] = []) -> DerivedSpec {
        DerivedSpec(source: source, variant: variant, size: size, fit: fit?.value ?? .cover, crop: crop?.value ?? .attention,
                    format: format?.value ?? Self.defaultFormat, quality: quality?.value, background: background?.value,
                    overlays: overlays)
    }
}
