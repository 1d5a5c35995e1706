import AssetBuildSupport
import AssetBuildCatalog
/// The storybook story's shape: a title, a summary of at most 30 characters, 5–10 scenes (or the
/// storybook's own bounds) and as many picture descriptions as scenes.
public enum StorybookShape {
    /// What is wrong with the story step's parsed JSON reply, or nil when it has the shape.
    public static func problem(_ object: Any, scenes bounds: ClosedRange<Int> = 5...10) -> String? {
        guard let story = object as? [String: Any] else { return "it is not a JSON object" }
        guard let title = story["title"] as? String, !title.isEmpty else { return "'title' is missing or empty" }
        guard let summary = story["summary"] as? String, !summary.isEmpty else { return "'summary' is missing or empty" }
        if summary.count > 30 { return "'summary' has \(summary.count) characters; at most 30" }
        guard let scenes = story["scenes"] as? [String] else { return "'scenes' is missing or not a list of strings" }
        guard let details = story["scenes_detail"] as? [String] else {
            return "'scenes_detail' is missing or not a list of strings"
        }
        if !bounds.contains(scenes.count) {
            return "\(scenes.count) scenes; this story needs \(bounds.lowerBound) to \(bounds.upperBound)"
        }
        if details.count != scenes.count {
            return "\(scenes.count) scenes but \(details.count) picture descriptions; they must match one to one"
        }
        return nil
    }
}
