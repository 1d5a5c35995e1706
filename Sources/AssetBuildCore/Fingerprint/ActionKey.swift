import Foundation

/// Every input that changes what a target produces, and nothing that does not (DESIGN §4).
/// The action key is the SHA-256 of this struct's canonical JSON (sorted keys, no spaces), so
/// the readable form can be stored beside the key and diffed field by field to explain a rebuild
/// (as swift-build's `BuildDescriptionSignatureComponents` is).
///
/// Not here on purpose: `stream`, `response_format`, `min_images`, base URL, concurrency, output
/// paths and reference spellings (a renamed file with the same bytes changes nothing).
public struct ActionKeyComponents: Codable, Hashable, Sendable {
    /// Bumped when the meaning of a key changes, which invalidates every cached action.
    public var format: Int = 1
    public var kind: String
    public var provider: String
    public var model: String
    public var prompt: String
    public var size: String?
    public var images: Int?
    /// SHA-256 of each reference's bytes in order; an unpinned URL contributes its text instead.
    public var references: [String]?
    public var watermark: Bool?
    public var optimizePrompt: String?
    public var seed: Int?
    public var guidanceScale: Double?
    public var system: String?
    public var responseFormat: String?
    public var thinking: String?
    public var temperature: Double?
    public var maxTokens: Int?

    enum CodingKeys: String, CodingKey {
        case format, kind, provider, model, prompt, size, images, references, watermark
        case optimizePrompt = "optimize_prompt", seed, guidanceScale = "guidance_scale", system
        case responseFormat = "response_format", thinking, temperature, maxTokens = "max_tokens"
    }

    /// Written by `CanonicalJSONWriter`; byte for byte what `encodedCanonicalJSON` gives.
    public var canonicalJSON: String {
        CanonicalJSONWriter.write(self) ?? encodedCanonicalJSON
    }

    /// The definition of the canonical form: `JSONEncoder` with sorted keys and unescaped slashes.
    var encodedCanonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a plain Codable struct of strings and numbers cannot fail.
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    public var key: String { SHA256.hash(canonicalJSON).hex }

    public static func decode(_ json: String) -> ActionKeyComponents? {
        try? JSONDecoder().decode(ActionKeyComponents.self, from: Data(json.utf8))
    }
}

/// What was hashed, plus what helps explain it: the spelling of each reference.
public struct Fingerprint: Sendable, Hashable {
    public var components: ActionKeyComponents
    /// How each reference was written (`poses[2]`, `refs/a.png`), parallel to `components.references`.
    public var referenceLabels: [String]
    public var key: String

    public init(components: ActionKeyComponents, referenceLabels: [String]) {
        self.components = components
        self.referenceLabels = referenceLabels
        self.key = components.key
    }

    /// Stored with the target's state so the next build can say what changed.
    public var recordJSON: String {
        let record = StoredFingerprint(components: components, referenceLabels: referenceLabels)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(record)) ?? Data(), as: UTF8.self)
    }

    public static func decode(recordJSON: String) -> (ActionKeyComponents, [String])? {
        guard let r = try? JSONDecoder().decode(StoredFingerprint.self, from: Data(recordJSON.utf8)) else { return nil }
        return (r.components, r.referenceLabels)
    }

    struct StoredFingerprint: Codable {
        var components: ActionKeyComponents
        var referenceLabels: [String]
    }
}
