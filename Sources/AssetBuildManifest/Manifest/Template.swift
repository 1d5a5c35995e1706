import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
/// A string with `${…}` placeholders. Vars are expanded when the manifest loads; fields of text
/// targets (`${story.title}`) stay as parts until that target's output exists.
public struct Template: Sendable, Hashable {
    public enum Part: Sendable, Hashable {
        case literal(String)
        /// `${target.path}`: a field of a text target's JSON output (an implicit dependency).
        case field(target: String, path: [String], location: SourceLocation)
    }

    public var parts: [Part]
    public var location: SourceLocation

    public init(parts: [Part], location: SourceLocation) {
        self.parts = parts
        self.location = location
    }

    public init(literal: String, location: SourceLocation) {
        self.parts = literal.isEmpty ? [] : [.literal(literal)]
        self.location = location
    }

    /// The text when it has no field placeholders.
    public var literalText: String? {
        var out = ""
        for p in parts {
            guard case .literal(let s) = p else { return nil }
            out += s
        }
        return out
    }

    public var fieldReferences: [Located<String>] {
        parts.compactMap {
            if case .field(let t, _, let loc) = $0 { return Located(t, at: loc) }
            return nil
        }
    }

    /// The text with every field replaced by `resolve(target, path)`.
    public func render(_ resolve: (String, [String]) throws -> String) rethrows -> String {
        var out = ""
        for p in parts {
            switch p {
            case .literal(let s): out += s
            case .field(let t, let path, _): out += try resolve(t, path)
            }
        }
        return out
    }

    /// The text as written, placeholders shown as `${target.field}` (for plans and messages).
    public var display: String {
        render { t, path in "${\(([t] + path).joined(separator: "."))}" }
    }
}
