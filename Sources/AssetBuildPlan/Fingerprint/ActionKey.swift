import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// Every input that changes what a target produces, and nothing that does not (DESIGN §4).
/// The action key is the SHA-256 of this struct's canonical JSON (sorted keys, no spaces), so
/// the readable form can be stored beside the key and diffed field by field to explain a rebuild
/// (as swift-build's `BuildDescriptionSignatureComponents` is).
///
/// Not here on purpose: `stream`, `response_format`, `min_images`, base URL, concurrency, output
/// paths and reference spellings (a renamed file with the same bytes changes nothing). Which
/// generation options are here, and under which field, `OptionTable` says (`key`).
public struct ActionKeyComponents: KeyComponents, Hashable {
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
    public var system: String?
    public var responseFormat: String?
    /// The keyed generation options (`OptionTable`'s `key`), by key field; each is a field of the
    /// canonical JSON beside the ones above.
    public var options: OptionValues

    public init(format: Int = 1, kind: String, provider: String, model: String, prompt: String, size: String? = nil,
                images: Int? = nil, references: [String]? = nil, system: String? = nil, responseFormat: String? = nil,
                options: OptionValues = OptionValues()) {
        self.format = format
        self.kind = kind
        self.provider = provider
        self.model = model
        self.prompt = prompt
        self.size = size
        self.images = images
        self.references = references
        self.system = system
        self.responseFormat = responseFormat
        self.options = options
    }

    /// An image target's key: `prompt`, `images` and the reference hashes as resolved for this build.
    package static func image(provider: String, spec: ImageSpec, prompt: String, images: Int, references: [String]) -> Self {
        ActionKeyComponents(kind: "image", provider: provider, model: spec.modelInfo.id, prompt: prompt, size: spec.size.value,
                            images: images, references: references, options: keyed(spec.options))
    }

    /// A text target's key; a JSON schema enters as its name, strictness and hash.
    package static func text(provider: String, spec: TextSpec, prompt: String, system: String?) -> Self {
        let format: String
        switch spec.responseFormat {
        case .text: format = "text"
        case .jsonObject: format = "json_object"
        case .jsonSchema(let name, let schema, let strict): format = "json_schema:\(name):\(strict):" + SHA256.hash(schema).hex
        }
        return ActionKeyComponents(kind: "text", provider: provider, model: spec.model.value, prompt: prompt, system: system,
                                   responseFormat: format, options: keyed(spec.options))
    }

    /// A target's option values that enter the key, by key field.
    package static func keyed(_ values: OptionValues) -> OptionValues {
        var out = OptionValues()
        for (name, value) in values.values {
            if let key = OptionTable.named[name]?.key { out[key] = value }
        }
        return out
    }

    /// A field of the canonical JSON: a fixed one or an option's key.
    package struct Field: CodingKey {
        package var stringValue: String
        package init(_ name: String) { stringValue = name }
        package init?(stringValue: String) { self.stringValue = stringValue }
        package var intValue: Int? { nil }
        package init?(intValue: Int) { nil }
    }

    /// What the synthesized encoding wrote before options had a table: absent optionals left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Field.self)
        try c.encode(format, forKey: Field("format"))
        try c.encode(kind, forKey: Field("kind"))
        try c.encode(provider, forKey: Field("provider"))
        try c.encode(model, forKey: Field("model"))
        try c.encode(prompt, forKey: Field("prompt"))
        try c.encodeIfPresent(size, forKey: Field("size"))
        try c.encodeIfPresent(images, forKey: Field("images"))
        try c.encodeIfPresent(references, forKey: Field("references"))
        try c.encodeIfPresent(system, forKey: Field("system"))
        try c.encodeIfPresent(responseFormat, forKey: Field("response_format"))
        for (key, value) in options.values {
            switch value {
            case .bool(let v): try c.encode(v, forKey: Field(key))
            case .int(let v): try c.encode(v, forKey: Field(key))
            case .number(let v): try c.encode(v, forKey: Field(key))
            case .string(let v): try c.encode(v, forKey: Field(key))
            }
        }
    }

    /// Reads a stored record; an option's field is read as the table's type for it.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Field.self)
        format = try c.decode(Int.self, forKey: Field("format"))
        kind = try c.decode(String.self, forKey: Field("kind"))
        provider = try c.decode(String.self, forKey: Field("provider"))
        model = try c.decode(String.self, forKey: Field("model"))
        prompt = try c.decode(String.self, forKey: Field("prompt"))
        size = try c.decodeIfPresent(String.self, forKey: Field("size"))
        images = try c.decodeIfPresent(Int.self, forKey: Field("images"))
        references = try c.decodeIfPresent([String].self, forKey: Field("references"))
        system = try c.decodeIfPresent(String.self, forKey: Field("system"))
        responseFormat = try c.decodeIfPresent(String.self, forKey: Field("response_format"))
        options = OptionValues()
        for (key, option) in OptionTable.keyed {
            let field = Field(key)
            switch option.type {
            case .bool: options[key] = try c.decodeIfPresent(Bool.self, forKey: field).map(OptionValue.bool)
            case .int: options[key] = try c.decodeIfPresent(Int.self, forKey: field).map(OptionValue.int)
            case .number: options[key] = try c.decodeIfPresent(Double.self, forKey: field).map(OptionValue.number)
            case .choice: options[key] = try c.decodeIfPresent(String.self, forKey: field).map(OptionValue.string)
            }
        }
    }

    /// Written by `CanonicalJSONWriter`; byte for byte what `encodedCanonicalJSON` gives.
    public var canonicalJSON: String {
        CanonicalJSONWriter.write(self) ?? encodedCanonicalJSON
    }

    public static func decode(_ json: String) -> ActionKeyComponents? {
        try? JSONDecoder().decode(ActionKeyComponents.self, from: Data(json.utf8))
    }

    public var summary: KeySummary {
        KeySummary(kind: kind, provider: provider, model: model, prompt: prompt, size: size, images: images)
    }

    public func changes(since old: ActionKeyComponents, oldLabels: [String], newLabels: [String]) -> [RebuildReason] {
        RebuildReason.generationDiff(old: old, oldLabels: oldLabels, new: self, newLabels: newLabels)
    }
}

/// The inputs one kind of action hashes into its key, and nothing else. Each kind has its own
/// type (image and text generation share `ActionKeyComponents`; a book has `BookKeyComponents`):
/// the key is the SHA-256 of the canonical JSON, stored beside the key so the next build can say
/// field by field what changed.
public protocol KeyComponents: Codable, Sendable {
    /// `image`, `text`, `book`: which kind of action the key belongs to.
    var kind: String { get }
    /// Bumped when the meaning of a key of this kind changes.
    var format: Int { get }
    /// Sorted keys, no spaces, slashes unescaped: what is hashed.
    var canonicalJSON: String { get }
    /// What `build/assetbuild.json` says about an action of this key.
    var summary: KeySummary { get }
    /// Why the key is not `old`'s, in words.
    func changes(since old: Self, oldLabels: [String], newLabels: [String]) -> [RebuildReason]
}

extension KeyComponents {
    public var canonicalJSON: String { encodedCanonicalJSON }

    /// The definition of the canonical form: `JSONEncoder` with sorted keys and unescaped slashes.
    package var encodedCanonicalJSON: String { Self.canonicalEncoding(self) }

    /// Any value as the canonical form writes it. Encoding a plain Codable struct of strings and
    /// numbers cannot fail.
    package static func canonicalEncoding(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }

    public var key: String { SHA256.hash(canonicalJSON).hex }
}

/// The components types a stored record may hold, tried in turn when one is read back without
/// knowing its kind (`build/assetbuild.json` of targets not planned in this build). A kind with a
/// components type of its own lists it here.
package enum StoredKeyComponents {
    package static let types: [any KeyComponents.Type] = [BookKeyComponents.self, DeriveKeyComponents.self, ActionKeyComponents.self]
}

/// An action as `build/assetbuild.json` describes it.
public struct KeySummary: Sendable, Hashable {
    public var kind: String
    public var provider: String
    public var model: String
    public var prompt: String
    public var size: String?
    public var images: Int?

    public init(kind: String, provider: String, model: String, prompt: String, size: String? = nil, images: Int? = nil) {
        self.kind = kind
        self.provider = provider
        self.model = model
        self.prompt = prompt
        self.size = size
        self.images = images
    }
}

/// What was hashed, plus what helps explain it: the spelling of each reference.
public struct Fingerprint: Sendable, Hashable {
    public var components: any KeyComponents
    /// How each reference was written (`poses[2]`, `refs/a.png`), parallel to the components' references.
    public var referenceLabels: [String]
    public var key: String

    public init(components: any KeyComponents, referenceLabels: [String]) {
        self.components = components
        self.referenceLabels = referenceLabels
        self.key = components.key
    }

    public static func == (a: Fingerprint, b: Fingerprint) -> Bool { a.key == b.key && a.referenceLabels == b.referenceLabels }
    public func hash(into h: inout Hasher) { h.combine(key) }

    /// Stored with the target's state so the next build can say what changed.
    public var recordJSON: String {
        func encode<C: KeyComponents>(_ c: C) -> String {
            C.canonicalEncoding(StoredFingerprint(components: c, referenceLabels: referenceLabels))
        }
        return encode(components)
    }

    /// The components and labels of a stored record, of whichever kind it is.
    public static func decode(recordJSON: String) -> (any KeyComponents, [String])? {
        for type in StoredKeyComponents.types {
            if let found = decode(recordJSON, as: type) { return (found.0, found.1) }
        }
        return nil
    }

    package static func decode<C: KeyComponents>(_ json: String, as: C.Type) -> (C, [String])? {
        guard let r = try? JSONDecoder().decode(StoredFingerprint<C>.self, from: Data(json.utf8)) else { return nil }
        return (r.components, r.referenceLabels)
    }

    /// Why this key differs from the one recorded in `recordJSON`; nil when the record cannot be read.
    /// A record of the same kind but another key format says so.
    public func changes(sinceRecord json: String) -> [RebuildReason]? {
        func diff<C: KeyComponents>(_ new: C) -> [RebuildReason]? {
            if let (old, labels) = Self.decode(json, as: C.self) {
                return new.changes(since: old, oldLabels: labels, newLabels: referenceLabels)
            }
            guard let stored = try? JSONDecoder().decode(StoredKind.self, from: Data(json.utf8)),
                  stored.components.kind == new.kind, case let old = stored.components.format ?? 1, old != new.format
            else { return nil }
            return [.optionChanged(name: "key format", old: "\(old)", new: "\(new.format)")]
        }
        return diff(components)
    }

    package struct StoredFingerprint<C: KeyComponents>: Codable {
        package var components: C
        package var referenceLabels: [String]
    }

    /// The kind and format of any stored record.
    package struct StoredKind: Decodable {
        package struct Head: Decodable {
            package var kind: String
            package var format: Int?
        }
        package var components: Head
    }
}
