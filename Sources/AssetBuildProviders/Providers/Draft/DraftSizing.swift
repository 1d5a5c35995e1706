import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
/// The pixels a draft uses for a requested size. For presets the real model picks the pixels from
/// the shape the prompt describes (ark-api.md §3.2); drafts do the same with the model's own
/// table of recommended sizes, so layouts can be checked before paying.
public enum DraftSizing {
    public static func pixels(for size: String?, prompt: String, model: ImageModel,
                              referenceSize: (Int, Int)? = nil) -> (width: Int, height: Int) {
        let requested = size ?? model.defaultSize
        if let (w, h) = SizeSpec.parsePixels(requested) { return (w, h) }
        if requested == "adaptive" {
            let (w, h) = referenceSize ?? (1024, 1024)
            return ModelCatalog.seededitAdaptiveSize(width: w, height: h)
        }
        let ratio = aspectRatio(in: prompt)
        let table = ModelCatalog.table4x
        let row = table.first { $0.ratio == ratio } ?? table[0]
        let scale: Double = requested == "1K" ? 0.5 : requested == "4K" ? 2 : 1
        // Keep multiples of 16 like the service's own sizes.
        let w = Int((Double(row.width) * scale / 16).rounded()) * 16
        let h = Int((Double(row.height) * scale / 16).rounded()) * 16
        return (w, h)
    }

    /// The aspect ratio a prompt asks for: an explicit `16:9`, or words for a shape or use.
    public static func aspectRatio(in prompt: String) -> String {
        let known = ["21:9", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "1:1"]
        let normalized = prompt.replacingOccurrences(of: "：", with: ":")
        for r in known where normalized.contains(r) { return r }
        let lower = prompt.lowercased()
        let words: [(String, [String])] = [
            ("21:9", ["ultrawide", "ultra-wide", "cinematic banner", "超宽"]),
            ("16:9", ["wide", "banner", "landscape", "widescreen", "hero image", "横版", "横幅", "宽屏"]),
            ("9:16", ["vertical", "phone wallpaper", "story format", "stories", "竖版", "竖屏"]),
            ("3:4", ["portrait", "poster", "海报", "人像"]),
            ("1:1", ["square", "avatar", "icon", "方形", "头像"]),
        ]
        // Whole words only: "a wide shot" is wide, "widely loved" is not.
        let tokens = " " + lower.map { $0.isLetter || $0.isNumber || $0 == "-" || !$0.isASCII ? String($0) : " " }.joined() + " "
        for (ratio, list) in words where list.contains(where: { $0.unicodeScalars.first!.isASCII ? tokens.contains(" \($0) ") : lower.contains($0) }) {
            return ratio
        }
        return "1:1"
    }
}
