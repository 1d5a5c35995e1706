import Foundation
import AssetBuildSupport

/// A per-image failure inside a group (`partial_failed`, or `data[].error`).
public struct ImageFailure: Sendable, Hashable, Codable {
    public var index: Int
    public var code: String
    public var message: String

    public init(index: Int, code: String, message: String) {
        self.index = index
        self.code = code
        self.message = message
    }

    /// Moderation failures let the rest of a group go on; internal errors stop it.
    public var isModeration: Bool { code.contains("SensitiveContent") || code.contains("Moderation") }

    /// What to do about it, for the console and `--json` (ark-api.md §5: moderation lets the
    /// group go on, an internal error stops the images after it).
    public var advice: String {
        if isModeration { return "refused by moderation; the rest of the group went on: reword the prompt, then build again for the missing image" }
        if code == "InternalServiceError" {
            return "the service failed at this image and stopped the group there; building again asks only for the missing images"
        }
        return "building again asks only for the missing images"
    }
}

public struct Usage: Sendable, Hashable, Codable {
    public var generatedImages: Int
    public var outputTokens: Int
    public var totalTokens: Int

    public init(generatedImages: Int, outputTokens: Int, totalTokens: Int) {
        self.generatedImages = generatedImages
        self.outputTokens = outputTokens
        self.totalTokens = totalTokens
    }

    package enum CodingKeys: String, CodingKey {
        case generatedImages = "generated_images"
        case outputTokens = "output_tokens"
        case totalTokens = "total_tokens"
    }
}
