import AssetBuildSupport
import AssetBuildDeriveSpec
import AssetBuildStorybook

/// What can be said of derived targets only once every target is known (a source may be declared
/// further down): which references name a variant, how many images each makes, and where a
/// variant's files go. Problems are reported by `ManifestChecks`; this pass only settles values.
package enum DerivedTargets {
    /// Extensions a reference file has (a reference `logo.png` is a file even beside a target
    /// named `logo`); anything else after a target's name and a dot names one of its variants.
    package static let imageExtensions: Set<String> = ["jpeg", "jpg", "png", "webp", "avif", "gif", "bmp", "tif", "tiff", "svg", "heic"]

    /// Settles `targets`. `declared` holds every target and variant name written in the manifest,
    /// also those that failed to load.
    package static func settle(_ targets: inout [Target], declared: Set<String>) {
        var byName = [String: Int](minimumCapacity: targets.count)
        for i in targets.indices { byName[targets[i].name] = i }
        resolveVariantReferences(&targets, known: declared.union(byName.keys))
        var images: [String: Int] = [:]
        for i in targets.indices {
            guard case .derived(var d) = targets[i].kind else { continue }
            var visiting = Set<String>()
            d.images = imageCount(of: targets[i].name, targets: targets, byName: byName, memo: &images, visiting: &visiting) ?? 1
            targets[i].kind = .derived(d)
        }
        // A variant's files sit beside its source's (`hero.og.jpeg`, `poses/{n}.ig.webp`), following
        // a custom `output:` too.
        for i in targets.indices {
            guard case .derived(let d) = targets[i].kind, let variant = d.variant, targets[i].output == nil,
                  let j = byName[d.source.value.target] else { continue }
            let pattern = variantOutput(of: targets[j].outputPattern, variant: variant, format: d.format)
            targets[i].output = Located(pattern, at: targets[i].location)
        }
        for i in targets.indices {
            guard case .book(var book) = targets[i].kind else { continue }
            book.variants = bookVariants(of: book.pictures, targets: targets, byName: byName)
            targets[i].kind = .book(book)
        }
    }

    /// The targets derived from `pictures` (directly, or from one derived from it), in
    /// declaration order, with the picture each is made from.
    private static func bookVariants(of pictures: String, targets: [Target], byName: [String: Int]) -> [BookVariant] {
        targets.compactMap { t in
            guard let d = t.derived else { return nil }
            // Inward along the sources: the innermost index picks the picture (`x[1]` of an `x`
            // made from `pictures[3]` is picture 3); no index anywhere: one from each picture.
            var source = d.source.value, picture = source.index
            for _ in 0..<targets.count {
                if source.target == pictures {
                    return BookVariant(target: t.name, description: "\(d.size.spoken) \(d.format.rawValue)",
                                       output: t.outputPattern, picture: picture)
                }
                guard let j = byName[source.target], let inner = targets[j].derived?.source.value else { return nil }
                source = inner
                picture = inner.index ?? picture
            }
            return nil
        }
    }

    /// `hero.jpeg` → `hero.og.webp`; `poses/{n}.jpeg` → `poses/{n}.og.webp`.
    package static func variantOutput(of source: String, variant: String, format: DeriveFormat) -> String {
        let slash = source.lastIndex(of: "/").map { source.index(after: $0) } ?? source.startIndex
        let stem = source[slash...].lastIndex(of: ".").map { source[..<$0] } ?? source[...]
        return "\(stem).\(variant).\(format.fileExtension)"
    }

    /// A reference written `hero.og` or `"poses[2].ig"` reads as a file (it has an extension)
    /// until the targets are known: it names the variant when one is declared by that name, or
    /// when it starts with a target's name and what follows is not an image file extension (a
    /// misspelt variant, reported as an unknown target with a suggestion).
    private static func resolveVariantReferences(_ targets: inout [Target], known: Set<String>) {
        for i in targets.indices {
            guard case .image(var spec) = targets[i].kind else { continue }
            var changed = false
            for r in spec.references.indices {
                guard case .file(let path) = spec.references[r].value.source, let s = DeriveSource.parse(path),
                      let parent = s.parentTarget, let variant = s.variantName else { continue }
                guard known.contains(s.target) || (known.contains(parent) && !imageExtensions.contains(variant)) else { continue }
                spec.references[r].value.source = .target(s.target, index: s.index)
                changed = true
            }
            if changed { targets[i].kind = .image(spec) }
        }
    }

    /// How many images target `name` makes: a group's size, one for `from: poses[2]`, and for a
    /// derived target as many as its source. nil when unknown (a missing source, a cycle).
    private static func imageCount(of name: String, targets: [Target], byName: [String: Int], memo: inout [String: Int],
                                   visiting: inout Set<String>) -> Int? {
        if let n = memo[name] { return n }
        guard let i = byName[name], visiting.insert(name).inserted else { return nil }
        let count: Int?
        switch targets[i].kind {
        case .image(let s): count = s.images
        case .derived(let d):
            count = d.source.value.index != nil ? 1
                : imageCount(of: d.source.value.target, targets: targets, byName: byName, memo: &memo, visiting: &visiting)
        case .text, .book: count = nil
        }
        if let count { memo[name] = count }
        return count
    }
}
