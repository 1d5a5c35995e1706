import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildDeriveSpec

/// The checks of derived targets that need every target: the source exists and is an image,
/// a group's image is in range, text overlays read fields of text targets, overlay files exist
/// and may be read. Fonts are the plan's to check (against the installed ones).
extension ManifestChecks {
    func checkDerived(_ t: Target, spec: DerivedSpec, byName: [String: Target], names: [String], declared: Set<String>,
                      tree: inout YAMLTree) {
        let source = spec.source
        let name = source.value.target
        if let other = byName[name] {
            if let count = sourceImages(other, from: source, tree: &tree), let index = source.value.index, !(1...count).contains(index) {
                tree.error("'from: \(source.value.spelling)' is out of range; \(Self.range(of: source.value, images: count))", at: source.location)
            }
        } else if !declared.contains(name) {
            tree.error("unknown target '\(name)' in 'from'\(SpellCheck.didYouMean(name, in: names))", at: source.location)
        }
        for field in spec.fieldReferences {
            checkField(field, byName: byName, names: names, declared: declared, tree: &tree)
        }
        for overlay in spec.overlays {
            guard case .image(let o) = overlay.value else { continue }
            checkOverlayFile(o.file, at: overlay.location, tree: &tree)
        }
    }

    /// How many images `other` makes, or nil (reported) when it makes none a derived image can use.
    private func sourceImages(_ other: Target, from source: Located<DeriveSource>, tree: inout YAMLTree) -> Int? {
        switch other.kind {
        case .image(let s): return s.images
        case .derived(let d): return d.images
        case .text:
            tree.error("'from: \(source.value.spelling)' names a text target; a derived image is made from an image target or a variant",
                       at: source.location,
                       notes: ["to draw its text on an image, add an overlay {text: \"${\(other.name).FIELD}\", font: …, size: …}"])
        case .book:
            tree.error("'from: \(source.value.spelling)' names a book (HTML pages); a derived image is made from an image target or a variant",
                       at: source.location, notes: ["its pictures are the target '\(other.book!.pictures)'"])
        }
        return nil
    }

    /// `it makes 4 images: use poses[1] to poses[4]` (or `poses[1].ig to poses[4].ig` for a variant).
    static func range(of source: DeriveSource, images: Int) -> String {
        func spelled(_ n: Int?) -> String {
            let index = n.map { "[\($0)]" } ?? ""
            if let parent = source.parentTarget, let variant = source.variantName { return "\(parent)\(index).\(variant)" }
            return source.target + index
        }
        return images == 1 ? "it makes one image: use '\(spelled(nil))'" : "it makes \(images) images: use \(spelled(1)) to \(spelled(images))"
    }

    /// An overlay file exists, is a regular file, and may be read (`allow_outside`).
    private func checkOverlayFile(_ file: String, at location: SourceLocation, tree: inout YAMLTree) {
        if let refusal = files.refusal(file, directory: directory, what: "overlay file") {
            tree.error(refusal.message, at: location, notes: refusal.notes)
            return
        }
        let path = file.hasPrefix("/") ? file : directory + "/" + file
        guard let st = FileOps.stat(path) else {
            tree.error("overlay file '\(file)' not found; paths are relative to the manifest's folder\(SpellCheck.didYouMeanFile(file, directory: directory))",
                       at: location)
            return
        }
        if !st.isRegular {
            tree.error("overlay file '\(file)' is \(st.kind), not a regular file; name an SVG or PNG file", at: location)
        }
    }

    /// A reference to a derived target: its format must be one the model takes. Returns how many
    /// images it makes and, when its size is fixed, its pixels (for the shape checks).
    func derivedUpstream(_ d: DerivedSpec, name: String, reference r: Located<Reference>, spec: ImageSpec,
                         tree: inout YAMLTree) -> (images: Int, pixels: (Int, Int)?)? {
        let m = spec.modelInfo
        if spec.modelIsKnown, !m.referenceFormats.contains(d.format.rawValue) {
            tree.error("reference '\(r.value.spelling)' is \(d.format.rawValue) (the format of '\(name)'); \(m.id) takes \(m.referenceFormats.sorted().joined(separator: ", "))",
                       at: r.location, notes: ["give '\(name)' another format, or reference its source"])
            return nil
        }
        return (d.images, d.fixedPixels)
    }
}

extension DerivedSpec {
    /// The output's width and height when the spec alone fixes them (both sides given, and a fit
    /// that fills them); nil when they follow the source's shape.
    package var fixedPixels: (Int, Int)? {
        guard case .exact(let w, let h) = size, fit != .inside else { return nil }
        return (w, h)
    }
}
