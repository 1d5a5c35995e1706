@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

/// A storybook's picture group that broke off: the pictures that arrived keep their pages, and
/// the next build describes only the missing scenes, so no page gets another page's picture.
@Suite struct StorybookResumeTests {
    @Test func a_cut_picture_group_resumes_with_only_the_missing_scenes() async throws {
        var behavior = FakeArkBehavior()
        behavior.chatContent = StorybookTests.story(scenes: 6)
        let fake = try await FakeArkServer.start(behavior)
        let p = try StorybookTests.Project(fake: fake, references: 1)
        defer { Task { await p.close(); await fake.stop() } }

        // The story first, so the fault below meets the pictures' request.
        var story = BuildOptions()
        story.targets = ["book.story"]
        try await p.engine().build(story)
        fake.enqueue(.truncatedStream(afterImages: 3))
        await #expect(throws: BuildFailed.self) { try await p.build() }
        #expect(fake.generationRequests.count == 1, "not retried in the build that received images")
        for n in 1...3 { #expect(FileManager.default.fileExists(atPath: p.dir + "/build/book/pictures/\(n).jpeg")) }

        let resumed = try await p.build()
        #expect(resumed.requests == 1)
        let bodies = fake.generationRequests.compactMap(\.json)
        #expect(bodies.count == 2)
        let second = try #require(bodies.last)
        // Scenes 4-6 and the cover: four images, described in the order of the places they fill.
        #expect(second["sequential_image_generation_options"]?["max_images"]?.int == 4)
        let prompt = second["prompt"]?.string ?? ""
        #expect(prompt.hasPrefix("A bedtime story about Pip the bunny"))
        #expect(prompt.contains("Make a set of 4 illustrations"))
        for n in 1...3 { #expect(!prompt.contains("Picture \(n):"), "scene \(n) arrived already: \(prompt)") }
        for n in 4...6 { #expect(prompt.contains("Picture \(n):")) }
        #expect(prompt.contains("cover"))
        let html = try p.read("book/index.html")
        for page in 1...6 { #expect(html.contains("src=\"pictures/\(page).jpeg\"")) }
        #expect(html.contains("src=\"pictures/7.jpeg\""))
    }
}
