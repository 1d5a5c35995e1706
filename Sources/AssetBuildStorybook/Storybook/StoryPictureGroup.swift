import AssetBuildSupport
import AssetBuildCatalog
/// A storybook's pictures as one group generation: a picture per scene and a cover, within the
/// service's limit with these references, described in one prompt. Pure: from the story's text.
public struct StoryPictureGroup: Sendable, Hashable {
    /// The user's request, put first in every prompt.
    public var request: String
    /// The picture descriptions that fit, in page order.
    public var shown: [String]
    public var sizing: StorybookSizing

    /// The group for `story` (the story step's JSON), or nil when it is not a storybook story.
    public init?(story: String, request: String, references: Int) {
        guard let parsed = BookAssembler.Story.parse(story) else { return nil }
        self.request = request
        // One picture per scene and a cover, within what the service allows with these references.
        sizing = StorybookSizing(scenes: parsed.details.count, references: references)
        // Describe only the pictures that fit: the pages beyond get a visible gap in the book.
        shown = Array(parsed.details.prefix(sizing.images))
    }

    /// Images to ask for.
    public var images: Int { sizing.images }

    /// The prompt for the whole group.
    public var prompt: String {
        StorybookPrompts.pictures(request: request, details: shown, cover: sizing.hasCover)
    }

    /// The prompt that asks for just these places (0-based), so a group resumed after an
    /// interruption draws the missing scenes, not the first ones again.
    public func prompt(forPlaces places: [Int]) -> String {
        StorybookPrompts.pictures(request: request, details: places.filter { $0 < shown.count }.map { shown[$0] },
                                  cover: sizing.hasCover && places.contains(images - 1))
    }
}

extension BookAssembler {
    /// Every page (and the cover) of `story` that the service's limit left out of its picture
    /// group, marked as never drawn so the book says why instead of blaming the model. `present`:
    /// the places (0-based; the cover is place `scenes`) that have a picture or a failure already.
    public static func undrawn(story: String, references: Int, present: Set<Int>) -> [ImageFailure] {
        guard let parsed = Story.parse(story) else { return [] }
        let sizing = StorybookSizing(scenes: parsed.scenes.count, references: references)
        let chinese = StorybookPrompts.isChinese(parsed.title + parsed.scenes.joined())
        // Slots 0..<scenes are the pages, slot `scenes` the cover; the group asked for the first `images`.
        return (sizing.images..<(parsed.scenes.count + 1)).filter { !present.contains($0) }.map {
            ImageFailure(index: $0, code: notDrawnCode, message: sizing.notDrawnReason(chinese: chinese))
        }
    }
}
