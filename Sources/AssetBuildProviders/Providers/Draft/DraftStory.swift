import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// A deterministic story for the storybook flow, in the request's language, shaped like the
/// storybook schema (title, summary ≤ 30 characters, 5–10 scenes with picture descriptions).
public enum DraftStory {
    public static func story(for request: String, scenes bounds: ClosedRange<Int> = 5...10) -> String {
        let chinese = StorybookPrompts.isChinese(request)
        let digest = SHA256.hash(request).bytes
        let count = bounds.lowerBound + Int(digest[0]) % (bounds.count)
        let subject = chinese ? String(request.prefix(16)) : leadingWords(request, upTo: 48)
        let beatsEN = [
            "It begins on an ordinary morning, when %@ notices something new.",
            "Curious, %@ sets out to find where it leads.",
            "The path is longer than expected, and %@ feels a little afraid.",
            "A new friend appears and offers to help %@.",
            "Together they find the courage to try again.",
            "Something goes wrong, and %@ has to choose what matters most.",
            "With a deep breath, %@ makes the kind choice.",
            "Everyone gathers, and the worry turns into laughter.",
            "Walking home, %@ sees the world a little differently.",
            "That night, %@ falls asleep smiling, ready for tomorrow.",
        ]
        let beatsZH = [
            "一个普通的早晨，%@发现了一件新鲜事。",
            "%@满怀好奇，决定去看个究竟。",
            "路比想象的更远，%@有点害怕。",
            "一位新朋友出现了，愿意帮助%@。",
            "他们一起鼓起勇气，再试一次。",
            "意外发生了，%@必须决定什么最重要。",
            "%@深吸一口气，做出了善良的选择。",
            "大家聚在一起，担心变成了笑声。",
            "回家的路上，%@看世界的眼光变了。",
            "那天晚上，%@带着微笑睡着了。",
        ]
        let hero = chinese ? "小主角" : "our hero"
        let title = chinese ? "草稿故事：\(String(request.prefix(8)))" : "Draft: \(leadingWords(request, upTo: 32))…"
        let summary = chinese ? "一个关于勇气与善良的草稿故事" : "A draft story of kindness"
        var scenes: [String] = []
        var details: [String] = []
        for i in 1...count {
            let beat = (chinese ? beatsZH : beatsEN)[(i - 1) * 10 / count].replacingOccurrences(of: "%@", with: hero)
            scenes.append(beat)
            if chinese {
                details.append("图片\(i)：\(subject)。\(beat)柔和的光线，明亮温暖的色彩，中景构图，画面中没有文字。")
            } else {
                details.append("Picture \(i): \(subject). \(beat) Soft light, warm bright colours, medium shot, no lettering.")
            }
        }
        return DraftText.jsonString(["title": title, "summary": summary, "scenes": scenes, "scenes_detail": details])
    }

    /// The first words of `text`, at most `limit` characters, never cut inside a word.
    package static func leadingWords(_ text: String, upTo limit: Int) -> String {
        var out = ""
        for w in text.split(separator: " ") {
            if out.count + w.count + 1 > limit { break }
            out += (out.isEmpty ? "" : " ") + w
        }
        return out.isEmpty ? String(text.prefix(limit)) : out
    }

    /// The scene bounds a storybook schema asks for (`minItems`/`maxItems` of `scenes`).
    public static func bounds(inSchema schema: String) -> ClosedRange<Int> {
        guard let o = try? JSONSerialization.jsonObject(with: Data(schema.utf8)) as? [String: Any],
              let scenes = (o["properties"] as? [String: Any])?["scenes"] as? [String: Any],
              let lo = scenes["minItems"] as? Int, let hi = scenes["maxItems"] as? Int, lo <= hi else { return 5...10 }
        return lo...hi
    }
}
