import Foundation
import AssetBuildSupport
import AssetBuildCatalog

/// Assembles the storybook: cover, title, summary, then each picture beside its page text, in
/// order, with relative links to the pictures. A picture that is missing (refused by moderation,
/// or never returned) leaves a visible gap with its reason; the pages never shift.
public enum BookAssembler {
    /// Bumped when the HTML changes, so every book is assembled again.
    public static let formatVersion = 4

    /// The failure code of a page (or cover) the service's limit left out: it was never asked for,
    /// and its message says why (`StorybookSizing.notDrawnReason`).
    public static let notDrawnCode = "NotDrawn"

    public struct Story: Sendable, Hashable {
        public var title: String
        public var summary: String
        public var scenes: [String]
        public var details: [String]

        public init(title: String, summary: String, scenes: [String], details: [String]) {
            self.title = title
            self.summary = summary
            self.scenes = scenes
            self.details = details
        }

        /// Parses the story step's JSON (already validated against the storybook shape).
        public static func parse(_ json: String) -> Story? {
            guard let o = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
                  let title = o["title"] as? String, let summary = o["summary"] as? String,
                  let scenes = o["scenes"] as? [String], let details = o["scenes_detail"] as? [String] else { return nil }
            return Story(title: title, summary: summary, scenes: scenes, details: details)
        }
    }

    /// One picture slot: its relative path when it arrived, or why it is missing.
    public enum Picture: Sendable, Hashable {
        case present(path: String, width: Int, height: Int)
        case missing(reason: String)
    }

    public struct Layout: Sendable, Hashable, Codable {
        /// `alternate` (default: odd pages picture-left, even pages picture-right), `picture-left`,
        /// `picture-right`, or `stacked` (picture above text).
        public var arrangement: String = "alternate"
        /// Page text size in CSS points.
        public var textSize: Double = 18
        public var theme: String = "warm"

        public init() {}
    }

    /// Maps the picture group's images to pages: image i (0-based) is page i + 1 for the scenes,
    /// and the image after the last scene is the cover.
    public static func pictures(scenes: Int, images: [(index: Int, path: String, width: Int, height: Int)],
                                failures: [ImageFailure], chinese: Bool) -> (pages: [Picture], cover: Picture) {
        func slot(_ i: Int) -> Picture {
            if let img = images.first(where: { $0.index == i }) {
                return .present(path: img.path, width: img.width, height: img.height)
            }
            if let f = failures.first(where: { $0.index == i }) {
                if f.code == notDrawnCode { return .missing(reason: f.message) }
                let why = f.isModeration
                    ? (chinese ? "图片未通过内容审核" : "the picture was refused by moderation")
                    : (chinese ? "图片生成失败" : "the picture failed")
                return .missing(reason: "\(why) (\(f.code))")
            }
            return .missing(reason: chinese ? "模型没有返回这张图片" : "the model did not return this picture")
        }
        return ((0..<scenes).map(slot), slot(scenes))
    }

    /// The book. `variants` holds, by picture (0-based: the pages, then the cover), the images
    /// derived from it, shown under it.
    public static func html(story: Story, pages: [Picture], cover: Picture, pageText overrides: [Int: String] = [:],
                            layout: Layout = Layout(), variants: [Int: [VariantLink]] = [:]) -> String {
        let language = StoryLanguage(of: story.title + story.summary + story.scenes.joined())
        let chinese = language == .chinese
        var out = """
        <!doctype html>
        <html lang="\(language.tag)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="assetbuild \(AssetBuildVersion.current)">
        <title>\(escape(story.title))</title>
        <style>\(css(layout, language: language, pictureShape: pictureShape(pages + [cover])))\(variants.isEmpty ? "" : variantsCSS)</style>
        </head>
        <body>
        <section class="cover">
        \(figure(cover, alt: story.title, chinese: chinese, variants: variants[story.scenes.count] ?? []))
        <h1>\(escape(story.title))</h1>
        <p class="summary">\(escape(story.summary))</p>
        </section>

        """
        for (i, text) in story.scenes.enumerated() {
            let page = i + 1
            let side: String
            switch layout.arrangement {
            case "picture-right": side = "right"
            case "stacked": side = "stacked"
            case "alternate": side = page % 2 == 1 ? "left" : "right"
            default: side = "left"
            }
            let picture = i < pages.count ? pages[i] : .missing(reason: chinese ? "缺少图片" : "no picture")
            out += """
            <section class="page \(side)" id="page-\(page)">
            \(figure(picture, alt: i < story.details.count ? story.details[i] : "", chinese: chinese, variants: variants[i] ?? []))
            <div class="text"><p>\(escape(overrides[page] ?? text))</p><span class="number">\(page)</span></div>
            </section>

            """
        }
        out += "</body>\n</html>\n"
        return out
    }

    package static func figure(_ picture: Picture, alt: String, chinese: Bool, variants: [VariantLink] = []) -> String {
        switch picture {
        case .present(let path, let w, let h):
            return "<figure><img src=\"\(escape(path))\" width=\"\(w)\" height=\"\(h)\" alt=\"\(escape(alt))\">"
                + variantsRow(variants, chinese: chinese) + "</figure>"
        case .missing(let reason):
            return "<figure class=\"gap\"><div><strong>\(chinese ? "图片缺失" : "Picture missing")</strong><br>\(escape(reason))</div></figure>"
        }
    }

    /// The shape of the pictures that arrived (`2048 / 2048`), so a gap takes the room its picture
    /// would have taken and the pages keep their rhythm.
    package static func pictureShape(_ pictures: [Picture]) -> String {
        for case .present(_, let w, let h) in pictures where w > 0 && h > 0 { return "\(w) / \(h)" }
        return "1 / 1"
    }

    /// Fonts for the book's language first: a CJK font ahead of a Latin one would draw English
    /// punctuation the CJK way (an ellipsis centred on the line), and the reverse mixes scripts.
    package static func fonts(_ language: StoryLanguage) -> String {
        let latin = #"Georgia, "Noto Serif", "DejaVu Serif""#
        switch language {
        case .chinese: return #""Noto Serif CJK SC", "Source Han Serif SC", "WenQuanYi Micro Hei", "# + latin + ", serif"
        case .japanese: return #""Noto Serif CJK JP", "Source Han Serif JP", "Hiragino Mincho ProN", "WenQuanYi Micro Hei", "# + latin + ", serif"
        case .korean: return #""Noto Serif CJK KR", "Source Han Serif KR", "Nanum Myeongjo", "WenQuanYi Micro Hei", "# + latin + ", serif"
        default: return latin + #", "Noto Serif CJK SC", "WenQuanYi Micro Hei", serif"#
        }
    }

    package static func css(_ layout: Layout, language: StoryLanguage = .english, pictureShape: String = "1 / 1") -> String {
        let (paper, ink, accent) = layout.theme == "plain" ? ("#ffffff", "#1d1d1f", "#555") : ("#fbf6ee", "#2b2118", "#b4552d")
        return """

        :root { --paper: \(paper); --ink: \(ink); --accent: \(accent); }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--paper); color: var(--ink); font-family: \(fonts(language)); }
        section { max-width: 1100px; margin: 0 auto; padding: 48px 32px; }
        .cover { text-align: center; padding-top: 64px; padding-bottom: 64px; }
        .cover figure { margin: 0 auto 24px; max-width: 640px; }
        h1 { font-size: 44px; line-height: 1.2; margin: 8px 0; letter-spacing: 0.02em; }
        .summary { font-size: 20px; color: var(--accent); font-style: italic; }
        :lang(zh) .summary, :lang(ja) .summary, :lang(ko) .summary { font-style: normal; }
        .page { display: grid; grid-template-columns: 1fr 1fr; gap: 40px; align-items: center; border-top: 1px solid #e6dccd; }
        .page.right figure { order: 2; }
        .page.stacked { grid-template-columns: 1fr; }
        figure { margin: 0; }
        img { width: 100%; height: auto; border-radius: 12px; box-shadow: 0 6px 24px rgba(0,0,0,0.15); display: block; }
        .gap { aspect-ratio: \(pictureShape); border: 3px dashed var(--accent); border-radius: 12px; display: flex;
               align-items: center; justify-content: center; text-align: center; padding: 24px; color: var(--accent);
               font-size: 16px; line-height: 1.5; }
        .gap strong { font-size: 20px; }
        .cover .gap { aspect-ratio: auto; min-height: 160px; }
        .text p { font-size: \(format(layout.textSize))pt; line-height: 1.7; margin: 0 0 12px; }
        .number { color: var(--accent); font-size: 14px; }
        @media (max-width: 760px) { .page { grid-template-columns: 1fr; } .page.right figure { order: 0; } }
        @media print {
          body { background: white; }
          section { break-after: page; break-inside: avoid; min-height: auto; padding: 24px; }
          section:last-child { break-after: auto; }
          .page { border-top: none; }
          img { box-shadow: none; max-height: 15cm; width: auto; max-width: 100%; margin: 0 auto; }
          .gap { max-height: 15cm; }
        }

        """
    }

    package static func escape(_ s: String) -> String { MarkupText.escape(s) }
}
