@testable import AssetBuildCore
import Foundation
import Testing

/// How a `storybook:` target loads: the picture group's size against the service's limit, the
/// story step's response format, and the system prompt's language.
@Suite struct StorybookManifestTests {
    static func load(_ yaml: String) throws -> Manifest {
        try ManifestLoader.parse(text: yaml, file: "assetbuild.yaml", path: "/m/assetbuild.yaml", directory: "/m")
    }

    static func storybook(references: String, scenes: String = "10", extra: String = "", before: String = "") -> String {
        """
        version: 1
        targets:
        \(before)  book:
            storybook:
              request: "A bedtime story about Pip the bunny"
              references: \(references)
              scenes: \(scenes)
        \(extra)
        """
    }

    static let poses = """
          poses:
            prompt: "Pip the bunny in six poses"
            images: 6
            output: "poses/{n}.jpeg"

        """

    @Test func a_reference_to_a_whole_group_counts_each_of_its_images() throws {
        // Declared after the storybook, too: the group is sized once every target is known.
        for yaml in [Self.storybook(references: "[poses]", before: Self.poses),
                     Self.storybook(references: "[poses]") + "\n" + Self.poses] {
            let manifest = try Self.load(yaml)
            let pictures = try #require(manifest.targets.first { $0.name == "book.pictures" }?.image)
            #expect(pictures.storybook?.references == 6)
            #expect(pictures.images == 9)   // 15 − 6, not 15 − 1
            #expect(manifest.targets.first { $0.name == "book" }?.book?.pictureReferences == 6)
            #expect(manifest.warnings.map(\.message) == [
                "with 6 reference images the service draws at most 9 pictures; a story of 10 scenes leaves page 10 and the cover without a picture",
            ])
        }
    }

    @Test func one_image_of_a_group_counts_as_one() throws {
        let manifest = try Self.load(Self.storybook(references: "[\"poses[2]\"]", before: Self.poses))
        let pictures = try #require(manifest.targets.first { $0.name == "book.pictures" }?.image)
        #expect(pictures.storybook?.references == 1)
        #expect(pictures.images == 11)
        #expect(manifest.warnings.isEmpty)
    }

    @Test func the_group_size_is_described_with_what_the_limit_leaves_out() {
        #expect(StorybookSizing(scenes: 10, references: 2).description()
            == "11 images (10 scenes + cover) of at most 13 with 2 references")
        #expect(StorybookSizing(scenes: 10, references: 6).description()
            == "9 images (scenes 1-9, no cover) of at most 9 with 6 references: page 10 and the cover will have no picture")
        #expect(StorybookSizing(scenes: 10, references: 8).description(upTo: true)
            == "up to 7 images (scenes 1-7, no cover) of at most 7 with 8 references: pages 8-10 and the cover will have no picture")
        #expect(StorybookSizing(scenes: 5, references: 0).description()
            == "6 images (5 scenes + cover) of at most 15 with no references")
        #expect(StorybookSizing(scenes: 10, references: 5).undrawnDescription == "the cover")
    }
}

/// The story step's words follow the request's language: Chinese and English have their own
/// system prompt; other languages get the English one, told to write in theirs.
@Suite struct StorybookLanguageTests {
    static let zh = "给五岁的孩子讲一个小兔子学会分享的睡前故事"
    static let en = "A bedtime story for a five-year-old about a bunny who learns to share"
    static let ja = "五歳の子どもに、うさぎのピップが分けあうことを学ぶおやすみのお話を"
    static let ko = "다섯 살 아이에게 토끼 핍이 나누는 법을 배우는 잠자리 이야기"

    @Test func the_request_language_is_told_apart_by_script() {
        #expect(StoryLanguage(of: Self.zh) == .chinese)
        #expect(StoryLanguage(of: Self.en) == .english)
        #expect(StoryLanguage(of: Self.ja) == .japanese)   // kanji beside kana: not Chinese
        #expect(StoryLanguage(of: Self.ko) == .korean)
        #expect(StoryLanguage(of: "Сказка про зайчика Пипа") == .russian)
        #expect(StorybookPrompts.isChinese(Self.ja) == false)
    }

    @Test func chinese_english_and_japanese_requests_get_the_right_system_prompt() {
        let zh = StorybookPrompts.system(for: Self.zh, minScenes: 5, maxScenes: 10)
        #expect(zh.hasPrefix("你是一位绘本作者"))
        #expect(zh.contains("5 到 10 个"))
        let en = StorybookPrompts.system(for: Self.en, minScenes: 6, maxScenes: 8)
        #expect(en.hasPrefix("You write picture books."))
        #expect(en.contains("6 to 8 scenes"))
        #expect(!en.contains("The request is written in"))
        let ja = StorybookPrompts.system(for: Self.ja, minScenes: 5, maxScenes: 10)
        #expect(ja.hasPrefix("You write picture books."))   // no Japanese prompt of our own: the English one…
        #expect(ja.contains("The request is written in Japanese. Write \"title\", \"summary\" and every \"scenes\" text in Japanese"))
        #expect(!ja.contains("你是"))
        // …and the picture prompt is English, not Chinese.
        #expect(StorybookPrompts.pictures(request: Self.ja, details: ["Picture 1: a bunny"], cover: true)
            .contains("Make a set of 2 illustrations"))
    }

    @Test func the_book_says_its_language() {
        func lang(_ title: String, _ scene: String) -> String? {
            let html = BookAssembler.html(story: .init(title: title, summary: "s", scenes: Array(repeating: scene, count: 5),
                                                       details: Array(repeating: "Picture", count: 5)),
                                          pages: [], cover: .missing(reason: "r"))
            return html.range(of: #"lang="[a-z]+""#, options: .regularExpression).map { String(html[$0].dropFirst(6).dropLast()) }
        }
        #expect(lang("ピップのおはなし", "ピップはにんじんをわけました。") == "ja")
        #expect(lang("小兔子", "小兔子分享了胡萝卜。") == "zh")
        #expect(lang("핍의 이야기", "핍은 당근을 나누었어요.") == "ko")
        #expect(lang("Pip Shares", "Pip shared her carrots.") == "en")
    }

    @Test func the_book_puts_its_own_script_first_and_a_gap_keeps_the_pictures_shape() {
        let story = BookAssembler.Story(title: "Pip Shares…", summary: "s", scenes: ["a", "b"], details: ["P1", "P2"])
        let html = BookAssembler.html(story: story, pages: [.present(path: "pictures/1.jpeg", width: 1728, height: 2304),
                                                            .missing(reason: "refused")], cover: .missing(reason: "r"))
        // A CJK font first would draw the English ellipsis centred, the Chinese way.
        #expect(html.contains(#"font-family: Georgia, "Noto Serif", "DejaVu Serif", "Noto Serif CJK SC""#))
        #expect(html.contains(".gap { aspect-ratio: 1728 / 2304;"))
        #expect(BookAssembler.fonts(.chinese).hasPrefix(#""Noto Serif CJK SC""#))
        #expect(BookAssembler.fonts(.japanese).hasPrefix(#""Noto Serif CJK JP""#))
    }

    @Test func the_draft_story_follows_the_request_or_falls_back_to_english() {
        #expect(BookAssembler.Story.parse(DraftStory.story(for: Self.zh))?.details.first?.hasPrefix("图片1") == true)
        #expect(BookAssembler.Story.parse(DraftStory.story(for: Self.ja))?.details.first?.hasPrefix("Picture 1") == true)
    }
}
