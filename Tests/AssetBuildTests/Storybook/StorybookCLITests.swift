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

/// Images derived from a storybook's pictures are shown in the book, under the page (or cover)
/// each was made from, linked to its file.
@Suite struct StorybookVariantsCLITests {
    @Test func the_book_shows_each_pages_derived_images_under_its_picture() async throws {
        let ws = try CLIWorkspace(example: "storybook")
        try ws.dir.write(try ws.dir.text("assetbuild.yaml") + """

              square:
                from: bedtime.pictures
                size: 108x108
                format: webp
              second:
                from: "bedtime.pictures[2]"
                size: 54x96
                format: png

            """, to: "assetbuild.yaml")
        try await ws.buildOK()
        let html = try String(decoding: ws.dir.read("build/bedtime/index.html"), as: UTF8.self)
        let story = try #require(BookAssembler.Story.parse(String(decoding: ws.dir.read("build/bedtime/story.json"), as: UTF8.self)))
        func section(_ id: String) throws -> Substring {
            let start = try #require(html.range(of: id))
            let end = html.range(of: "</section>", range: start.upperBound..<html.endIndex)?.lowerBound ?? html.endIndex
            return html[start.lowerBound..<end]
        }
        for page in 1...story.scenes.count {
            let s = try section("id=\"page-\(page)\"")
            let square = "<a href=\"../square/\(page).webp\"><img src=\"../square/\(page).webp\" alt=\"\" loading=\"lazy\">"
                + "<span>square · 108x108 webp</span></a>"
            #expect(s.contains("<figcaption class=\"variants\"><span class=\"also\">Also made</span>" + square), "page \(page): \(s)")
            #expect(s.contains("../second.png") == (page == 2), "page \(page): \(s)")
            // The link leads to the file the build derived.
            let file = try ws.dir.read("build/square/\(page).webp")
            #expect(file.starts(with: Data("RIFF".utf8)))
        }
        // The cover is the picture after the last page.
        #expect(try section("class=\"cover\"").contains("href=\"../square/\(story.scenes.count + 1).webp\""))
        #expect(ws.dir.exists("build/second.png"))
        #expect(html.contains("@media print { .variants { display: none; } }"))
    }

    @Test func a_book_without_derived_images_keeps_its_key_and_adding_one_assembles_it_again() async throws {
        let ws = try CLIWorkspace(example: "storybook")
        try await ws.buildOK()
        let plain = try String(decoding: ws.dir.read("build/bedtime/index.html"), as: UTF8.self)
        #expect(!plain.contains("variants"), "no row and no styles for it")
        try ws.dir.write(try ws.dir.text("assetbuild.yaml") + """

              square: {from: bedtime.pictures, size: 108x108, format: webp}

            """, to: "assetbuild.yaml")
        let plan = try await ws.run(["plan"])
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.stdout.contains("book layout or page text changed"), "\(plan)")
        let build = try await ws.buildOK()
        #expect(build.requests == 0, "nothing is drawn again")
        #expect(try String(decoding: ws.dir.read("build/bedtime/index.html"), as: UTF8.self).contains("../square/1.webp"))
    }
}
