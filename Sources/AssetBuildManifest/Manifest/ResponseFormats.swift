import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook

public enum ResponseFormat: String, Sendable, Hashable, Codable {
    case url
    case b64Json = "b64_json"
}

/// `response_format` of a chat completion.
public enum TextResponseFormat: Sendable, Hashable {
    case text
    case jsonObject
    /// A JSON Schema (as JSON text) with its name and strictness.
    case jsonSchema(name: String, schema: String, strict: Bool)
}
