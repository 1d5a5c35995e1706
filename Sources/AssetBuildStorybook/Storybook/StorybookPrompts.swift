import AssetBuildSupport
import AssetBuildCatalog
/// The words assetbuild sends for the storybook flow (the vendor guide's appendix, rewritten in
/// the project's own words). The story step asks a chat model for JSON; the picture step turns the
/// picture descriptions into one group-generation prompt.
public enum StorybookPrompts {
    /// Whether the text is mostly Chinese, so the story (and these prompts) follow its language.
    /// Japanese (kana beside its kanji) and Korean are not Chinese.
    public static func isChinese(_ text: String) -> Bool { StoryLanguage(of: text) == .chinese }

    /// The system prompt for the story step, with the scene bounds filled in. Chinese and English
    /// have their own; any other language gets the English one, told to write in that language.
    public static func system(for request: String, minScenes: Int, maxScenes: Int) -> String {
        let language = StoryLanguage(of: request)
        switch language {
        case .chinese: return chinese(minScenes, maxScenes)
        case .english: return english(minScenes, maxScenes)
        default: return english(minScenes, maxScenes) + "\n\n" + writeIn(language)
        }
    }

    /// The instruction that keeps a story in the request's language when the prompt is English.
    /// Picture descriptions stay English: the image models read Chinese and English best.
    package static func writeIn(_ language: StoryLanguage) -> String {
        """
        The request is written in \(language.englishName). Write "title", "summary" and every "scenes" text in \
        \(language.englishName), the language of the request; the 30-character limit of "summary" counts its \
        characters. Write "scenes_detail" in English, starting each with "Picture N:".
        """
    }

    package static func english(_ lo: Int, _ hi: Int) -> String {
        """
        You write picture books. From the reader's request, write one short, warm story that fits the \
        audience it names (children, teenagers, adults or everyone) and any details it asks for.

        Shape the story as \(lo) to \(hi) scenes that follow each other in time, from the opening through \
        a turning point to a gentle ending. For every scene write two things that belong together:
        - "scenes": the page text, one or two sentences (about 40 words) a parent could read aloud. \
        Do not use double quotation marks inside it.
        - "scenes_detail": a description of that page's picture for an image model, starting with \
        "Picture N:" (N is the scene number). Say what is seen: who, doing what, where, the framing \
        (close-up, wide shot), light, colour and mood. Keep every character looking the same on every page. \
        Never ask for words, letters or signs in the picture.
        Also write "title", a short title that makes a reader curious, and "summary", one line of at \
        most 30 characters about what the story means.

        Keep it safe for every reader: no violence, gore, sexual content, hate, or dangerous acts.

        Answer with JSON only, exactly this shape, the two lists the same length and in the same order:
        {"title": "...", "summary": "...", "scenes": ["...", "..."], "scenes_detail": ["Picture 1: ...", "Picture 2: ..."]}
        """
    }

    package static func chinese(_ lo: Int, _ hi: Int) -> String {
        """
        你是一位绘本作者。请根据读者的请求，写一个简短、温暖的故事，贴合请求中提到的读者（儿童、青少年、成人或所有人）和具体要求。

        把故事分成 \(lo) 到 \(hi) 个按时间顺序推进的场景：开头、转折、温和的结尾。每个场景写两样一一对应的内容：
        - "scenes"：这一页的文字，一两句话（约 50 字），适合大声朗读。文字里不要使用英文双引号。
        - "scenes_detail"：给图像模型的画面描述，以"图片N："开头（N 是场景序号）。写清画面里有谁、在做什么、在哪里，\
        以及构图（特写、远景）、光线、色彩和氛围。每一页的角色外观保持一致。不要要求画面中出现文字、字母或标牌。
        另外写 "title"（简短、引人好奇的书名）和 "summary"（不超过 30 个字的一句话，说出故事的意义）。

        内容要适合所有读者：不得包含暴力、血腥、色情、仇恨或危险行为。

        只用 JSON 回答，格式如下，两个列表长度相同、顺序一致：
        {"title": "...", "summary": "...", "scenes": ["...", "..."], "scenes_detail": ["图片1：...", "图片2：..."]}
        """
    }

    /// The group-generation prompt: the request first, then each picture description, then the
    /// cover, asking for no lettering in any picture.
    public static func pictures(request: String, details: [String], cover: Bool) -> String {
        let chinese = isChinese(request)
        var parts = [request]
        if chinese {
            parts.append("请生成一组共\(details.count + (cover ? 1 : 0))张连贯的绘本插图，角色形象在每张图中保持一致：")
        } else {
            parts.append("Make a set of \(details.count + (cover ? 1 : 0)) illustrations for a picture book, the characters looking the same in each:")
        }
        parts += details
        if cover {
            parts.append(chinese ? "最后，为这本故事书画一张封面。" : "Finally, draw a cover for the book.")
        }
        parts.append(chinese ? "所有图片中都不要出现文字。" : "Keep every picture free of words and lettering.")
        return parts.joined(separator: "\n")
    }
}
