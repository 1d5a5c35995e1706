@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

/// `fake-ark` answers a storybook request with a story of its own (the knob `storyFromRequest`),
/// so a person can build the storybook example against it: the reply obeys the schema it was
/// sent, in the request's language.
@Suite struct StorybookFakeStoryTests {
    @Test func the_fake_writes_a_story_that_fits_the_schema_it_was_sent() async throws {
        var behavior = FakeArkBehavior()
        behavior.storyFromRequest = true
        let fake = try await FakeArkServer.start(behavior)
        let p = try StorybookTests.Project(fake: fake, references: 1, scenes: "6-8")
        defer { Task { await p.close(); await fake.stop() } }
        let summary = try await p.build()
        #expect(summary.built == 3)
        let story = try #require(BookAssembler.Story.parse(try p.read("book/story.json")))
        #expect(story.scenes.count == 6, "the schema's lower bound")
        let gen = try #require(fake.generationRequests.first?.json)
        #expect(gen["sequential_image_generation_options"]?["max_images"]?.int == 7)
    }
}
