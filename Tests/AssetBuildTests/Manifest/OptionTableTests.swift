import Foundation
import Testing
@testable import AssetBuildCore

/// Walks `OptionTable`: every option reaches the schema, the parsed target, the action key (when
/// keyed), the request body (when sent) and the draft's key (when it varies drafts), so an option
/// added to the table but missing anywhere fails here.
@Suite struct OptionTableTests {
    // MARK: The schema

    static func schema() throws -> [String: Any] {
        try recordIfAsked()
        let data = try Data(contentsOf: ManifestSchemaTests.schema)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// What `$defs.<name>` must say: the table's type, bounds or choices, and description
    /// (`GenerationOption.schemaEntry`, which `scripts/update-schema` writes).
    static func schemaEntry(_ o: GenerationOption) -> NSDictionary {
        foundation(o.schemaEntry) as? NSDictionary ?? [:]
    }

    /// What a per-model block of the schema must say about `o` for `model`: nothing when the
    /// model takes every value, else the values it takes (`GenerationOption.schemaRestriction`).
    static func restriction(_ o: GenerationOption, _ model: ImageModel) -> Any? {
        o.schemaRestriction(for: model).map(foundation)
    }

    /// The value as JSONSerialization reads it.
    static func foundation(_ v: SchemaJSON) -> Any {
        (try? JSONSerialization.jsonObject(with: Data(v.text.utf8), options: .fragmentsAllowed)) ?? NSNull()
    }

    static func json(_ v: Any?) -> String {
        guard let v else { return "(absent)" }
        guard JSONSerialization.isValidJSONObject([v]),
              let d = try? JSONSerialization.data(withJSONObject: [v], options: [.sortedKeys]) else { return "\(v)" }
        return String(decoding: d.dropFirst().dropLast(), as: UTF8.self)
    }

    static func dig(_ v: Any?, _ path: String...) -> Any? {
        var node = v
        for p in path {
            if let i = Int(p), let a = node as? [Any] { node = a.indices.contains(i) ? a[i] : nil } else { node = (node as? [String: Any])?[p] }
        }
        return node
    }

    /// Every block of the schema that holds per-model rules, with the model it is about: the
    /// target's own `model`, and `defaults.model` (or none: the default model) for targets without one.
    static func modelBlocks(_ schema: [String: Any]) -> [(model: String, properties: [String: Any])] {
        var out: [(String, [String: Any])] = []
        let target = dig(schema, "$defs", "target", "allOf", "0", "else", "allOf") as? [Any] ?? []
        for block in target {
            if let id = dig(block, "if", "properties", "model", "const") as? String,
               let props = dig(block, "then", "properties") as? [String: Any] { out.append((id, props)) }
        }
        for block in schema["allOf"] as? [Any] ?? [] {
            let id = dig(block, "if", "properties", "defaults", "properties", "model", "const") as? String
                ?? (dig(block, "if", "properties", "defaults", "not") != nil ? ModelCatalog.defaultImageModel : nil)
            if let id, let props = dig(block, "then", "properties", "targets", "additionalProperties", "then", "properties") as? [String: Any] {
                out.append((id, props))
            }
        }
        return out
    }

    @Test func every_option_is_in_the_schema_as_the_table_says() throws {
        let schema = try Self.schema()
        let blocks = Self.modelBlocks(schema)
        #expect(Set(blocks.map(\.model)).count == ModelCatalog.imageModels.count)
        #expect(blocks.count == 2 * ModelCatalog.imageModels.count + 1)
        let textBranch = Self.dig(schema, "$defs", "target", "allOf", "0", "then", "properties") as? [String: Any] ?? [:]
        let imageBranch = Self.dig(schema, "$defs", "target", "allOf", "0", "else", "properties") as? [String: Any] ?? [:]
        for o in OptionTable.all {
            let entry = Self.dig(schema, "$defs", o.name) as? NSDictionary
            #expect(entry == Self.schemaEntry(o),
                    "$defs.\(o.name) should be \(Self.json(Self.schemaEntry(o))), is \(Self.json(entry)); run \(Self.fixCommand)")
            let ref = ["$ref": "#/$defs/\(o.name)"] as NSDictionary
            for place in ["defaults", "target"] {
                let written = Self.dig(schema, "$defs", place, "properties", o.name) as? NSDictionary
                #expect(written == ref, "$defs.\(place).properties.\(o.name) should be \(Self.json(ref)); run \(Self.fixCommand)")
            }
            // The other kind of target refuses it.
            let refusing = o.target == .image ? textBranch : imageBranch
            #expect(refusing[o.name] as? Bool == false,
                    "the \(o.target == .image ? "text" : "image") branch of $defs.target should say \"\(o.name)\": false; run \(Self.fixCommand)")
            guard o.target == .image else { continue }
            for (id, props) in blocks {
                let model = try #require(ModelCatalog.model(id: id))
                let expected = Self.restriction(o, model)
                #expect(Self.json(props[o.name]) == Self.json(expected),
                        "the schema's rules for \(id) should say \(o.name): \(Self.json(expected)); run \(Self.fixCommand)")
            }
        }
    }

    // MARK: Manifest → spec → key → request

    /// A value other than the default, that `model` takes.
    static func sample(_ o: GenerationOption, model: ImageModel?) -> OptionValue {
        switch o.type {
        case .bool: return .bool(o.defaultValue(model: model, images: 1) != .bool(true))
        case .int(let r): return .int(r.upperBound)
        case .number(let r): return .number(r.lowerBound + 0.5)
        case .choice(let c):
            let taken = model.flatMap { o.choices(for: $0) } ?? []
            return .string((taken.isEmpty ? c : taken).last!)
        }
    }

    static func yaml(_ v: OptionValue) -> String {
        if case .string(let s) = v { return "\"\(s)\"" }
        return v.description
    }

    static func keyJSON(_ v: OptionValue) -> String {
        switch v {
        case .bool(let b): return b.description
        case .int(let i): return i.description
        case .number(let d): let t = d.description; return t.hasSuffix(".0") ? String(t.dropLast(2)) : t
        case .string(let s): return "\"\(s)\""
        }
    }

    static func arkJSON(_ v: OptionValue) -> ArkJSON {
        switch v {
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .number(let d): return .double(d)
        case .string(let s): return .string(s)
        }
    }

    @Test func every_option_reaches_the_spec_the_key_and_the_request() throws {
        for o in OptionTable.all {
            let model = o.target == .image ? try #require(ModelCatalog.imageModels.first { o.takes($0) }) : nil
            let value = Self.sample(o, model: model)
            let head = o.target == .image ? "    model: \(model!.id)\n    prompt: a fox\n" : "    kind: text\n    prompt: a fox\n"
            let text = "version: 1\ntargets:\n  t:\n\(head)    \(o.name): \(Self.yaml(value))\n"
            let manifest = try ManifestLoader.parse(text: text, file: "assetbuild.yaml", path: "/m/assetbuild.yaml", directory: "/m")
            let target = try #require(manifest["t"])

            let components: ActionKeyComponents
            let body: ArkJSON?
            switch target.kind {
            case .image(let spec):
                #expect(spec.options[o.name] == value, "\(o.name): the image spec holds \(String(describing: spec.options[o.name]))")
                components = .image(provider: "ark", spec: spec, prompt: "a fox", images: 1, references: [])
                body = ArkWire.imageBody(ImageRequest(target: "t", spec: spec, prompt: "a fox", references: [], maxImages: 1))
            case .text(let spec):
                #expect(spec.options[o.name] == value, "\(o.name): the text spec holds \(String(describing: spec.options[o.name]))")
                components = .text(provider: "ark", spec: spec, prompt: "a fox", system: nil)
                body = ArkWire.chatBody(TextRequest(target: "t", spec: spec, system: nil, prompt: "a fox"))
            case .book, .derived:
                Issue.record("\(o.name): a book")
                continue
            }

            let key = components.canonicalJSON
            if let field = o.key {
                #expect(key.contains("\"\(field)\":\(Self.keyJSON(value))"), "\(o.name): the key lacks \"\(field)\": \(key)")
                #expect(ActionKeyComponents.decode(components.encodedCanonicalJSON) == components, "\(o.name): the stored key reads back")
            } else {
                #expect(!key.contains("\"\(o.name)\""), "\(o.name) is not keyed, but the key has it: \(key)")
            }

            let sent = try #require(body)
            switch o.request {
            case .field(let name)?: #expect(sent[name] == Self.arkJSON(value), "\(o.name): body[\(name)] is \(String(describing: sent[name]))")
            case .flag(let name)?: #expect(sent[name] == .bool(true), "\(o.name): body[\(name)] is \(String(describing: sent[name]))")
            case .object(let outer, let inner)?:
                #expect(sent[outer]?[inner] == Self.arkJSON(value), "\(o.name): body[\(outer)][\(inner)] is \(String(describing: sent[outer]))")
            case nil:
                #expect(!String(decoding: sent.encoded(), as: UTF8.self).contains("\"\(o.name)\""), "\(o.name) is not sent")
            }
        }
    }

    @Test func options_that_vary_drafts_change_the_draft_and_the_rest_do_not() async throws {
        let model = try #require(ModelCatalog.model(id: "doubao-seedream-3-0-t2i-250415"))
        func requestID(_ options: OptionValues) async throws -> String? {
            let r = ImageRequest(target: "t", model: model.id, prompt: "a fox", size: "512x512", options: options)
            return try await DraftProvider().generate(r, into: DiscardingSink()).requestID
        }
        var defaults = OptionValues()
        for o in OptionTable.options(for: .image) { defaults[o.name] = o.defaultValue(model: model, images: 1) }
        let plain = try await requestID(defaults)
        for o in OptionTable.options(for: .image) {
            var options = defaults
            options[o.name] = Self.sample(o, model: model)
            let changed = try await requestID(options) != plain
            if case .varies = o.draft {
                #expect(changed, "\(o.name) varies drafts, but the draft did not change")
            } else {
                #expect(!changed, "\(o.name) is ignored by drafts, but the draft changed")
            }
        }
    }

    struct DiscardingSink: ImageSink {
        func imageReceived(_ image: ReceivedImage) async throws {}
        func imageFailed(_ failure: ImageFailure) async {}
    }

    @Test func option_names_are_unique_and_never_a_structural_key() {
        #expect(Set(OptionTable.all.map(\.name)).count == OptionTable.all.count)
        #expect(Set(OptionTable.all.compactMap(\.key)).count == OptionTable.all.compactMap(\.key).count)
        let structural = ["kind", "model", "prompt", "references", "size", "images", "min_images", "response_format",
                          "system", "system_file", "schema", "deps", "output", "description", "format", "provider"]
        for o in OptionTable.all {
            #expect(!structural.contains(o.name) && !structural.contains(o.key ?? ""), "\(o.name) clashes with a structural key")
        }
    }
}
