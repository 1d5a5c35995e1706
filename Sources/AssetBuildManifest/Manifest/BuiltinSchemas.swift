import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
/// JSON Schemas assetbuild knows by name, for text targets' `schema:`.
public enum BuiltinSchemas {
    public static let names = ["storybook"]

    /// A story for a picture book: a title, a one-line summary, and 5–10 scenes, each with its page
    /// text and a picture description (the two lists in the same order).
    public static let storybook = """
    {"type":"object","additionalProperties":false,\
    "required":["title","summary","scenes","scenes_detail"],\
    "properties":{\
    "title":{"type":"string","minLength":1},\
    "summary":{"type":"string","minLength":1,"maxLength":30},\
    "scenes":{"type":"array","minItems":5,"maxItems":10,"items":{"type":"string","minLength":1}},\
    "scenes_detail":{"type":"array","minItems":5,"maxItems":10,"items":{"type":"string","minLength":1}}}}
    """

    /// The storybook schema with the scene count bounds of one storybook.
    public static func storybook(scenes: ClosedRange<Int>) -> String {
        storybook.replacingOccurrences(of: #""minItems":5,"maxItems":10"#,
                                       with: #""minItems":\#(scenes.lowerBound),"maxItems":\#(scenes.upperBound)"#)
    }

    public static func schema(named name: String) -> String? {
        name == "storybook" ? storybook : nil
    }
}
