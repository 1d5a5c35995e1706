import AssetBuildSupport

/// An image derived from a storybook's pictures (`from: bedtime.pictures`: a channel size of
/// every page, or `from: "bedtime.pictures[3]"`: of one), which the book shows under the page it
/// was made from, so each page's Instagram cut or story is one click from the page.
public struct BookVariant: Sendable, Hashable {
    /// The derived target (`ig`, or `pages.thumb` for a variant of one).
    public var target: String
    /// What it is, for the reader: `1080x1080 webp`.
    public var description: String
    /// Its output pattern, relative to the build directory (`ig/{n}.webp` when it is made from
    /// every picture).
    public var output: String
    /// The picture (1-based, the cover last) it is made from; nil: one from each picture.
    public var picture: Int?

    public init(target: String, description: String, output: String, picture: Int?) {
        self.target = target
        self.description = description
        self.output = output
        self.picture = picture
    }

    /// Its file made from picture `n` (1-based), or nil when it is not made from that one.
    public func output(forPicture n: Int) -> String? {
        guard let picture else { return output.replacingOccurrences(of: "{n}", with: String(n)) }
        return picture == n ? output : nil
    }

    /// One line per variant, for the book's key: adding, renaming or moving one assembles again.
    public static func keyText(_ variants: [BookVariant]) -> String {
        variants.map { "\($0.target)\t\($0.description)\t\($0.output)\t\($0.picture.map(String.init) ?? "*")" }.joined(separator: "\n")
    }
}

extension BookAssembler {
    /// A derived image as a page shows it: a small picture and its name, linked to the file.
    public struct VariantLink: Sendable, Hashable {
        public var label: String
        public var path: String

        public init(label: String, path: String) {
            self.label = label
            self.path = path
        }
    }

    /// The row of derived images under a picture (none: nothing).
    package static func variantsRow(_ links: [VariantLink], chinese: Bool) -> String {
        guard !links.isEmpty else { return "" }
        let items = links.map { l in
            // The name beside it says what it is (a picture not derived yet leaves the name).
            "<a href=\"\(escape(l.path))\"><img src=\"\(escape(l.path))\" alt=\"\" loading=\"lazy\">"
                + "<span>\(escape(l.label))</span></a>"
        }
        return "<figcaption class=\"variants\"><span class=\"also\">\(chinese ? "其他尺寸" : "Also made")</span>"
            + items.joined() + "</figcaption>"
    }

    /// Styles of the rows of derived images, only in books that have them (a book without keeps
    /// its bytes). Not printed: they are files to take, not pages.
    package static let variantsCSS = """
        .variants { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 12px; margin-top: 12px; font-size: 13px; }
        .variants .also { color: var(--accent); width: 100%; }
        .cover .variants { justify-content: center; }
        .variants a { display: flex; flex-direction: column; align-items: center; gap: 4px; color: var(--ink); text-decoration: none; }
        .variants a:hover span { text-decoration: underline; }
        .variants img { width: auto; height: 72px; max-width: 160px; object-fit: contain; border-radius: 4px;
                        box-shadow: 0 2px 8px rgba(0,0,0,0.15); }
        @media print { .variants { display: none; } }

        """
}
