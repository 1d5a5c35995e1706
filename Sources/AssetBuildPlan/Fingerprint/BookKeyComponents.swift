import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
/// What a book (a storybook's assembled HTML) is keyed by: the story's text, each picture's bytes
/// (or why it is missing), and the layout and page text written in the manifest; never anything
/// else. A book is made locally, so it has no provider and no model.
///
/// Format 2: format 1 stored these in the image fields of `ActionKeyComponents` (the story's
/// hash as `prompt`, the layout's as `system`). Books keyed by format 1 are assembled once more;
/// nothing is paid for that.
public struct BookKeyComponents: KeyComponents, Hashable {
    public var format: Int = 2
    public var kind = "book"
    /// `BookAssembler.formatVersion`: a new HTML assembles every book again.
    public var assembler: Int
    /// SHA-256 of the story's JSON text.
    public var story: String
    /// SHA-256 of the layout, title, page text and picture-reference count.
    public var layout: String
    /// `index:sha256` of each picture, `index:failed:code` of each missing one, sorted.
    public var pictures: [String]

    public init(assembler: Int, story: String, layout: String, pictures: [String]) {
        self.assembler = assembler
        self.story = story
        self.layout = layout
        self.pictures = pictures
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        guard kind == "book" else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "not a book's key")
        }
        format = try c.decode(Int.self, forKey: .format)
        assembler = try c.decode(Int.self, forKey: .assembler)
        story = try c.decode(String.self, forKey: .story)
        layout = try c.decode(String.self, forKey: .layout)
        pictures = try c.decode([String].self, forKey: .pictures)
    }

    /// As `build/assetbuild.json` has always described a book.
    public var summary: KeySummary {
        KeySummary(kind: kind, provider: "local", model: "book-\(assembler)", prompt: story)
    }

    /// A book's key holds hashes, not words: say what they mean.
    public func changes(since old: BookKeyComponents, oldLabels: [String], newLabels: [String]) -> [RebuildReason] {
        var reasons: [RebuildReason] = []
        if old.assembler != assembler {
            reasons.append(.optionChanged(name: "book format", old: "book-\(old.assembler)", new: "book-\(assembler)"))
        }
        if old.story != story { reasons.append(.storyChanged) }
        if old.layout != layout { reasons.append(.bookLayoutChanged) }
        func byIndex(_ refs: [String]) -> [Int: String] {
            var out: [Int: String] = [:]
            for r in refs {
                guard let colon = r.firstIndex(of: ":"), let i = Int(r[..<colon]) else { continue }
                out[i, default: ""] += String(r[colon...])
            }
            return out
        }
        let a = byIndex(old.pictures), b = byIndex(pictures)
        for i in Set(a.keys).union(b.keys).sorted() where a[i] != b[i] { reasons.append(.pictureChanged(i + 1)) }
        if reasons.isEmpty, old != self { reasons.append(.optionChanged(name: "key format", old: "\(old.format)", new: "\(format)")) }
        return reasons
    }
}
