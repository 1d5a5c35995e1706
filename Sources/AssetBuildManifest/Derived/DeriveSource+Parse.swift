import AssetBuildSupport

extension DeriveSource {
    /// Reads how a derived image's source (`from:`) or a reference names a target's image(s):
    /// `hero`, `poses[2]`, a variant `hero.og`, one image of a group's variant `poses[2].ig` (or
    /// `poses.ig[2]`). Target and variant names cannot contain dots, so the split is unambiguous.
    /// nil when the text has another shape (a path, a URL, an empty name).
    package static func parse(_ text: String) -> DeriveSource? {
        // Only a-z, 0-9, '_', '-', '.', '[', ']' (and a sign inside the brackets) can make one: a
        // path such as `refs/a.png` is turned down without splitting it (most references are files).
        guard text.utf8.allSatisfy(isNameByte) else { return nil }
        var rest = Substring(text)
        var index: Int?
        // `name[n]…` or `name.variant[n]`: one bracket, anywhere after the first character.
        if let open = rest.firstIndex(of: "[") {
            guard let close = rest[open...].firstIndex(of: "]"), let n = Int(rest[rest.index(after: open)..<close]),
                  !rest[rest.index(after: close)...].contains("[") else { return nil }
            index = n
            rest = rest[..<open] + rest[rest.index(after: close)...]
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ ManifestLoader.isValidTargetName(String($0)) }) else { return nil }
        return DeriveSource(target: parts.joined(separator: "."), index: index, spelling: text)
    }

    /// A byte a name, a variant or an image index can be written with.
    private static func isNameByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "+"):
            return true
        default: return false
        }
    }

    /// The target whose variant this names (`hero` for `hero.og`), or nil for a plain target.
    package var parentTarget: String? {
        target.firstIndex(of: ".").map { String(target[..<$0]) }
    }

    /// The variant part (`og` for `hero.og`), or nil for a plain target.
    package var variantName: String? {
        target.firstIndex(of: ".").map { String(target[target.index(after: $0)...]) }
    }
}
