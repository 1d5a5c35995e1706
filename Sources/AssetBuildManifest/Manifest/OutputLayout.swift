import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
/// Where a target's files go inside the build directory (DESIGN §2): `<name>.jpeg` for one image,
/// `<name>/<n>.jpeg` for a group, `<name>.json` for a text target, or the target's `output:` with
/// `{n}` standing for the 1-based image number.
extension Target {
    public var outputPattern: String {
        if let output { return output.value }
        switch kind {
        case .image(let s): return s.images > 1 ? "\(name)/{n}.jpeg" : "\(name).jpeg"
        case .text(let s):
            if case .text = s.responseFormat { return "\(name).txt" }
            return "\(name).json"
        case .book:
            return "\(name)/index.html"
        case .derived(let d):
            // A variant's `output` is set when the manifest loads (beside its source's files:
            // `hero.og.jpeg`, `poses/{n}.ig.webp`); this is a top-level derived target's default.
            let ext = d.format.fileExtension
            return d.images > 1 ? "\(name)/{n}.\(ext)" : "\(name).\(ext)"
        }
    }

    /// The relative path of image `n` (1-based); text targets have one file.
    public func outputPath(imageNumber n: Int = 1) -> String {
        let pattern = outputPattern
        // Most patterns hold no `{n}` (one image), and a pattern without a '{' cannot: Foundation's
        // search costs ~12,000 instructions, asked for each target in the checks and the plan.
        guard pattern.utf8.contains(UInt8(ascii: "{")) else { return pattern }
        return pattern.replacingOccurrences(of: "{n}", with: String(n))
    }

    /// Every path a complete build of this target may write.
    public var possibleOutputPaths: [String] {
        let count = max(1, requestedImages)
        if count == 1 || !outputPattern.contains("{n}") { return [outputPath()] }
        return (1...count).map { outputPath(imageNumber: $0) }
    }
}
