@testable import AssetBuildCore
import Foundation
import Testing

/// The story step's reply is checked before it is cached: the storybook shape, and a code fence
/// (with or without a line of prose before it) around the JSON.
@Suite struct StorybookReplyTests {
    static func story(summary: String = "Sharing is caring", scenes: Int = 6, details: Int? = nil) -> [String: Any] {
        ["title": "Pip Shares", "summary": summary,
         "scenes": (1...scenes).map { "Page \($0)." }, "scenes_detail": (1...(details ?? scenes)).map { "Picture \($0): Pip." }]
    }

    /// The problem the shape check reports, or nil when the story passes.
    static func problem(_ story: [String: Any], bounds: ClosedRange<Int> = 5...10) -> String? {
        do {
            try StorybookShape.check(story, target: "book.story", scenes: bounds)
            return nil
        } catch let rejected as TextReply.Rejected {
            #expect(rejected.description.hasPrefix("book.story: the model's reply was rejected: "))
            return rejected.problem
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func a_well_shaped_story_passes() {
        #expect(Self.problem(Self.story()) == nil)
        #expect(Self.problem(Self.story(summary: String(repeating: "字", count: 30))) == nil)   // 30 is allowed
    }

    @Test func a_summary_over_thirty_characters_is_rejected() {
        #expect(Self.problem(Self.story(summary: "A story about sharing carrots with friends"))
            == "'summary' has 42 characters; at most 30")
        #expect(Self.problem(Self.story(summary: String(repeating: "字", count: 31))) == "'summary' has 31 characters; at most 30")
    }

    @Test func scenes_and_picture_descriptions_must_match_one_to_one() {
        #expect(Self.problem(Self.story(scenes: 6, details: 5))
            == "6 scenes but 5 picture descriptions; they must match one to one")
    }

    @Test func a_scene_count_outside_the_bounds_is_rejected() {
        #expect(Self.problem(Self.story(scenes: 4)) == "4 scenes; this story needs 5 to 10")
        #expect(Self.problem(Self.story(scenes: 11)) == "11 scenes; this story needs 5 to 10")
        #expect(Self.problem(Self.story(scenes: 9), bounds: 5...8) == "9 scenes; this story needs 5 to 8")
    }

    @Test func a_code_fence_is_removed_also_after_a_line_of_prose() {
        let json = #"{"title": "Pip"}"#
        #expect(TextReply.stripCodeFence(json) == json)
        #expect(TextReply.stripCodeFence("```json\n\(json)\n```") == json)
        #expect(TextReply.stripCodeFence("```\n\(json)\n```\n") == json)
        #expect(TextReply.stripCodeFence("Here is your story:\n\n```json\n\(json)\n```\nEnjoy!") == json)
        #expect(TextReply.stripCodeFence("Sure! ```json\n\(json)\n```") == json)
        #expect(TextReply.stripCodeFence("no JSON here") == "no JSON here")
    }

    @Test func a_book_says_what_changed_in_words() {
        func book(story: String = "s1", layout: String = "l1", pictures: [String] = ["0:aa", "1:bb", "2:cc"]) -> BookKeyComponents {
            BookKeyComponents(assembler: 3, story: story, layout: layout, pictures: pictures)
        }
        #expect(RebuildReason.diff(old: book(), oldLabels: [], new: book(layout: "l2"), newLabels: [])
            .map(\.description) == ["book layout or page text changed"])
        #expect(RebuildReason.diff(old: book(), oldLabels: [], new: book(pictures: ["0:aa", "1:bb", "2:dd"]), newLabels: [])
            .map(\.description) == ["picture 3 changed"])
        #expect(RebuildReason.diff(old: book(), oldLabels: [], new: book(pictures: ["0:aa", "1:failed:Sensitive", "2:cc"]), newLabels: [])
            .map(\.description) == ["picture 2 changed"])
        #expect(RebuildReason.diff(old: book(), oldLabels: [], new: book(story: "s2"), newLabels: [])
            .map(\.description) == ["story changed"])
    }
}
