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
