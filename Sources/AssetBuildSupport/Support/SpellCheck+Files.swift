import Foundation

extension SpellCheck {
    /// `; did you mean 'refs/product.png'?` when a file beside the missing `rel` (relative to
    /// `directory`, or absolute) has a close name; else the empty string.
    public static func didYouMeanFile(_ rel: String, directory: String) -> String {
        let folder = FileOps.parent(of: rel)
        let full = rel.hasPrefix("/") ? folder : directory + (folder.isEmpty ? "" : "/" + folder)
        let name = FileOps.lastComponent(of: rel)
        guard !name.isEmpty, name != ".", name != "..", name != "/",
              let names = try? FileManager.default.contentsOfDirectory(atPath: full),
              let match = suggestion(for: name, in: names.sorted()) else { return "" }
        return "; did you mean '\(folder.isEmpty ? match : folder + "/" + match)'?"
    }
}
