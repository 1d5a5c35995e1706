@testable import AssetBuildCore
import Foundation
import Testing

/// The storybook through the real binary with the offline draft provider: what a user with no
/// key sees when they try `examples/storybook`.
@Suite struct StorybookCLITests {
    @Test func the_example_builds_offline_into_a_book_and_a_rebuild_sends_nothing() async throws {
        let ws = try CLIWorkspace(example: "storybook")
        let first = try await ws.buildOK()
        #expect(try first.finished()["built"] as? Int == 3)
        let html = try String(decoding: ws.dir.read("build/bedtime/index.html"), as: UTF8.self)
        let story = try #require(BookAssembler.Story.parse(String(decoding: ws.dir.read("build/bedtime/story.json"), as: UTF8.self)))
        #expect((5...8).contains(story.scenes.count))   // the example asks for 5-8 scenes
        #expect(html.contains("<html lang=\"en\">"))
        #expect(html.contains("<h1>\(BookAssembler.escape(story.title))</h1>"))
        #expect(html.contains("<p class=\"summary\">\(BookAssembler.escape(story.summary))</p>"))
        // Every page in order, each with its own picture; the cover is the picture after the last page.
        var last = html.startIndex
        for page in 1...story.scenes.count {
            let at = try #require(html.range(of: "id=\"page-\(page)\"", range: last..<html.endIndex), "page \(page) out of order")
            #expect(html[at.upperBound...].contains("src=\"pictures/\(page).jpeg\""))
            #expect(ws.dir.exists("build/bedtime/pictures/\(page).jpeg"))
            last = at.upperBound
        }
        #expect(html.contains("src=\"pictures/\(story.scenes.count + 1).jpeg\""))
        #expect(!html.contains("Picture missing"))

        let again = try await ws.buildOK()
        #expect(again.requests == 0)
    }

    @Test func a_capped_group_is_warned_about_once_and_plan_names_the_pages_left_out() async throws {
        let ws = try CLIWorkspace(manifest: """
        version: 1
        targets:
          poses:
            prompt: "Pip the bunny in six poses"
            images: 6
            output: "poses/{n}.jpeg"
          book:
            storybook:
              request: "A bedtime story about Pip the bunny"
              references: [poses]
              scenes: 10

        """)
        let warning = "assetbuild.yaml:10:20: warning: with 6 reference images the service draws at most 9 pictures; a story of 10 scenes leaves page 10 and the cover without a picture"
        let plan = try await ws.run(["plan", "--provider", "draft"])
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.stdout.contains("[up to 9 images (scenes 1-9, no cover) of at most 9 with 6 references: page 10 and the cover will have no picture]"),
                "\(plan)")
        let build = try await ws.build()
        #expect(build.status == 0, "\(build)")
        #expect(build.output.components(separatedBy: "warning:").count == 2, "one warning, said once: \(build)")
        #expect(build.stderr.hasPrefix(warning), "\(build)")
        let html = try String(decoding: ws.dir.read("build/book/index.html"), as: UTF8.self)
        #expect(html.contains("not drawn: the service allows at most 9 images with 6 references"))
    }
}
