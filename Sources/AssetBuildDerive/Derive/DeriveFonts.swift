import CVips
import Foundation
import AssetBuildSupport

/// Font names as text overlays give them ("DejaVu Sans Bold"), resolved the way Pango will
/// resolve them for `vips_text`: Pango reads the family and style words, fontconfig picks the file.
/// Pango silently falls back to another family for an unknown one, so a name is only accepted
/// when fontconfig's match has the family asked for.
public enum DeriveFonts {
    public typealias Resolved = ResolvedFont

    /// Resolves `name`; throws `.unknownFont` (with the closest installed family) when no
    /// installed font has its family.
    public static func resolve(_ name: String) throws(DeriveError) -> Resolved {
        try Vips.start()
        var familyOut: UnsafeMutablePointer<CChar>?
        var fileOut: UnsafeMutablePointer<CChar>?
        let found = cvips_resolve_font(name, &familyOut, &fileOut)
        defer {
            g_free(familyOut)
            g_free(fileOut)
        }
        guard found == 1, let familyOut, let fileOut else {
            let family = requestedFamily(name)
            throw .unknownFont(name: name, family: family, suggestion: SpellCheck.suggestion(for: family, in: installedFamilies()))
        }
        return Resolved(family: String(cString: familyOut), file: String(cString: fileOut))
    }

    /// Every installed family name, sorted, without repeats.
    public static func installedFamilies() -> [String] {
        guard let list = cvips_font_families() else { return [] }
        defer { g_free(list) }
        return Set(String(cString: list).split(separator: "\n").map(String.init)).sorted()
    }

    /// The family part of a Pango font name ("DejaVu Sans" for "DejaVu Sans Bold").
    package static func requestedFamily(_ name: String) -> String {
        guard let family = cvips_font_family(name) else { return name }
        defer { g_free(family) }
        return String(cString: family)
    }
}
