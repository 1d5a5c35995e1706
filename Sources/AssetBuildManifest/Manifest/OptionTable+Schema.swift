import Foundation
import AssetBuildCatalog

/// The parts of `schemas/assetbuild.schema.json` that the option table writes: each option's
/// `$defs` entry, its `$ref` under `defaults` and `target`, `false` in the other kind of target's
/// branch, and what each image model's rules say about it. `scripts/update-schema` writes them
/// into the file (`RECORD_SCHEMA=1 swift test --filter OptionTableTests` runs it); the rest of
/// the schema is written by hand.
extension OptionTable {
    /// What `scripts/update-schema` reads: the default image model (the rules for targets that
    /// name no model), the image models, and per option its kind, `$defs` entry and per-model
    /// rule (null: the model takes every value, so the rules say nothing).
    package static var schemaParts: SchemaJSON {
        .object([
            ("default_image_model", .string(ModelCatalog.defaultImageModel)),
            ("image_models", .array(ModelCatalog.imageModels.map { .string($0.id) })),
            ("options", .array(all.map { o in
                .object([
                    ("name", .string(o.name)),
                    ("target", .string(o.target == .image ? "image" : "text")),
                    ("entry", o.schemaEntry),
                    ("models", .object(o.target == .image
                        ? ModelCatalog.imageModels.map { ($0.id, o.schemaRestriction(for: $0) ?? .null) }
                        : [])),
                ])
            })),
        ])
    }
}

extension GenerationOption {
    /// `$defs.<name>`: the type and bounds, or the choices, then the description.
    package var schemaEntry: SchemaJSON {
        let shape: [(String, SchemaJSON)]
        switch type {
        case .bool: shape = [("type", .string("boolean"))]
        case .int(let r): shape = [("type", .string("integer")), ("minimum", .int(r.lowerBound)), ("maximum", .int(r.upperBound))]
        case .number(let r): shape = [("type", .string("number")), ("minimum", .number(r.lowerBound)), ("maximum", .number(r.upperBound))]
        case .choice(let c): shape = [("enum", .array(c.map(SchemaJSON.string)))]
        }
        return .object(shape + [("description", .string(description))])
    }

    /// What the rules for `model` say about the option: nil when the model takes every value;
    /// `false` when it takes none (`{"const": false}` for a flag, which may still be written off);
    /// else the values it takes.
    package func schemaRestriction(for model: ImageModel) -> SchemaJSON? {
        if !takes(model) {
            if case .flag = request { return .object([("const", .bool(false))]) }
            return .bool(false)
        }
        guard case .choice(let all) = type, let taken = choices(for: model), taken != all else { return nil }
        return .object(taken.count == 1 ? [("const", .string(taken[0]))] : [("enum", .array(taken.map(SchemaJSON.string)))])
    }
}

/// A JSON value whose objects keep their keys in order (the schema file's order).
package indirect enum SchemaJSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([SchemaJSON])
    case object([Member])

    package struct Member: Sendable, Hashable {
        package var key: String
        package var value: SchemaJSON
    }

    package static func object(_ members: [(String, SchemaJSON)]) -> SchemaJSON {
        .object(members.map { Member(key: $0.0, value: $0.1) })
    }

    /// The value by key, for an object.
    package subscript(key: String) -> SchemaJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// Compact JSON text, keys in order. Strings and numbers are written by `JSONEncoder`
    /// (a whole number as `1`, not `1.0`, as the schema file has it).
    package var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b.description
        case .int(let i): return i.description
        case .number(let d): return Self.scalar(d)
        case .string(let s): return Self.scalar(s)
        case .array(let items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { Self.scalar($0.key) + ":" + $0.value.text }.joined(separator: ",") + "}"
        }
    }

    private static func scalar(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // A string or a finite number always encodes.
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
