import Foundation

/// A deterministic story for the storybook flow, in the request's language, shaped like the
/// storybook schema (title, summary ≤ 30 characters, 5–10 scenes with picture descriptions).
public enum DraftStory {
    public static func story(for request: String) -> String {
        let chinese = request.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) }
        let digest = SHA256.hash(request).bytes
        let count = 5 + Int(digest[0] % 4)
        let subject = String(request.prefix(24))
        var scenes: [String] = []
        var details: [String] = []
        for i in 1...count {
            if chinese {
                scenes.append("第\(i)页：\(subject)的故事继续展开，温暖而充满希望。")
                details.append("图片\(i)：\(subject)，第\(i)个场景，柔和的光线，明亮的色彩，中景构图。")
            } else {
                scenes.append("Page \(i): the story of \(subject) goes on, warm and hopeful.")
                details.append("Picture \(i): \(subject), scene \(i), soft light, bright colours, medium shot.")
            }
        }
        let title = chinese ? "草稿故事：\(String(request.prefix(8)))" : "Draft story: \(String(request.prefix(20)))"
        let summary = chinese ? "一个关于勇气与温暖的草稿故事" : "A draft story of courage"
        return DraftText.jsonString(["title": title, "summary": summary, "scenes": scenes, "scenes_detail": details])
    }
}
