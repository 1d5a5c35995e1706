import Foundation
import Yams
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook

/// A target's options as written (or inherited from `defaults:`), each with its position,
/// before the model's rules are applied.
package struct TargetOptions {
    package var kind: Located<String>?
    package var model: Located<String>?
    package var prompt: Template?
    package var system: Template?
    package var systemFile: Located<String>?
    package var references: Located<[Located<Reference>]>?
    package var size: Located<String>?
    package var images: Located<Int>?
    package var minImages: Located<Int>?
    package var responseFormat: Located<String>?
    package var schema: Located<SchemaSource>?
    /// The options of `OptionTable` that were written, by name.
    package var options: [String: Located<OptionValue>] = [:]
    package var deps: [Located<String>]?
    package var output: Located<String>?
    package var outputNode: Node?
    /// Keys written (even with a bad value) or suggested for a misspelt key: a missing-option error
    /// for them would only repeat the error already reported.
    package var written: Set<String> = []

    package enum SchemaSource: Sendable {
        /// A schema assetbuild knows by name (`storybook`).
        case named(String)
        /// An inline schema, as JSON text.
        case inline(String)
        /// A `.json` file beside the manifest.
        case file(String)
    }

    package static let imageKeys = ["model", "prompt", "references", "size", "images", "min_images"]
        + OptionTable.options(for: .image).map(\.name) + ["response_format"]
    package static let textKeys = ["model", "prompt", "system", "system_file", "response_format", "schema"]
        + OptionTable.options(for: .text).map(\.name)
    package static let commonKeys = ["kind", "deps", "output", "description"]
    package static var allKeys: [String] { commonKeys + imageKeys + textKeys.filter { !imageKeys.contains($0) } }

    /// Values from `self` win; what it lacks comes from `defaults`.
    package func overlaying(_ defaults: TargetOptions) -> TargetOptions {
        var o = self
        o.kind = kind ?? defaults.kind
        o.model = model ?? defaults.model
        o.prompt = prompt ?? defaults.prompt
        o.system = system ?? defaults.system
        o.systemFile = systemFile ?? defaults.systemFile
        o.references = references ?? defaults.references
        o.size = size ?? defaults.size
        o.images = images ?? defaults.images
        o.minImages = minImages ?? defaults.minImages
        o.responseFormat = responseFormat ?? defaults.responseFormat
        o.schema = schema ?? defaults.schema
        o.options = defaults.options.merging(options) { _, own in own }
        o.deps = deps ?? defaults.deps
        o.written = written.union(defaults.written)
        // `output` names one target's files: never inherited.
        return o
    }

    /// The part of `defaults:` a text target inherits: chat options only, and the model only when
    /// it is not an image model (defaults usually name one for the image targets).
    package func textDefaults() -> TargetOptions {
        var d = TargetOptions()
        if let m = model, ModelCatalog.model(id: m.value) == nil, !m.value.hasPrefix("ep-") { d.model = m }
        d.system = system
        d.systemFile = systemFile
        d.options = options.filter { OptionTable.named[$0.key]?.target == .text }
        d.deps = deps
        if let rf = responseFormat, ["text", "json_object", "json_schema"].contains(rf.value) { d.responseFormat = rf }
        return d
    }

    /// The part of `defaults:` an image target inherits: everything but chat-only options.
    package func imageDefaults() -> TargetOptions {
        var d = self
        d.system = nil
        d.systemFile = nil
        d.schema = nil
        d.options = options.filter { OptionTable.named[$0.key]?.target == .image }
        if let rf = responseFormat, ResponseFormat(rawValue: rf.value) == nil { d.responseFormat = nil }
        return d
    }

    /// The keys a target's mapping (`target`) or `defaults:` takes, and what to say of the keys
    /// that belong elsewhere: made once, not for each of a manifest's targets.
    private struct KeyRules {
        let known: [String]
        let knownSet: Set<String>
        let elsewhere: [String: String]

        static let target = KeyRules(allowOutput: true)
        static let defaults = KeyRules(allowOutput: false)

        private init(allowOutput: Bool) {
            var known = TargetOptions.allKeys
            var elsewhere: [String: String] = [:]
            if !allowOutput {
                known.removeAll { $0 == "output" || $0 == "deps" || $0 == "description" }
                elsewhere["output"] = "names one target's files and cannot be a default; set it on the target"
                elsewhere["deps"] = "cannot be a default; list dependencies on each target"
                elsewhere["variants"] = "cannot be a default; set them on each image target"
                elsewhere["from"] = "cannot be a default; set it on each derived target"
            } else {
                // Read by `DerivedTargetParser` once the target is resolved.
                known.append("variants")
            }
            for key in DeriveOptions.keys + ["overlays", "from"] where !known.contains(key) && elsewhere[key] == nil {
                elsewhere[key] = "is an option of derived images: set it on a variant under 'variants:', or on a target with 'from:'"
            }
            self.known = known
            knownSet = Set(known)
            self.elsewhere = elsewhere
        }
    }

    /// Reads option `option` written at `node` (a storybook's picture and story options).
    package mutating func parse(_ option: GenerationOption, at node: Node, tree: inout YAMLTree) {
        options[option.name] = option.parse(node, tree: &tree).map { Located($0, at: tree.location(node)) }
    }

    /// Reads the options in a target's (or `defaults:`) mapping. Unknown keys are reported.
    package static func parse(_ node: Node, context: String, allowOutput: Bool, templates: TemplateParser,
                      tree: inout YAMLTree) -> TargetOptions {
        var o = TargetOptions()
        guard let entries = tree.entries(of: node, context: context) else { return o }
        let rules = allowOutput ? KeyRules.target : KeyRules.defaults
        o.written = tree.checkKeys(entries, known: rules.known, elsewhere: rules.elsewhere).union(entries.map(\.key))
        for (key, keyNode, value) in entries where rules.knownSet.contains(key) {
            if let option = OptionTable.named[key] {
                o.parse(option, at: value, tree: &tree)
                continue
            }
            let at = tree.location(value)
            switch key {
            case "kind": o.kind = tree.choice(value, for: key, ["image", "text"]).map { Located($0, at: at) }
            case "model": o.model = tree.string(value, for: key).map { Located($0, at: at) }
            case "prompt":
                if let s = tree.string(value, for: key) { o.prompt = templates.parse(s, node: value, tree: &tree) }
            case "system":
                if let s = tree.string(value, for: key) { o.system = templates.parse(s, node: value, tree: &tree) }
            case "system_file": o.systemFile = tree.string(value, for: key).map { Located($0, at: at) }
            case "references": o.references = parseReferences(value, templates: templates, tree: &tree)
            case "size": o.size = sizeString(value, tree: &tree).map { Located($0, at: at) }
            case "images": o.images = tree.int(value, for: key, range: 1...15).map { Located($0, at: at) }
            case "min_images": o.minImages = tree.int(value, for: key, range: 1...15).map { Located($0, at: at) }
            case "response_format":
                o.responseFormat = tree.choice(value, for: key, ["url", "b64_json", "text", "json_object", "json_schema"])
                    .map { Located($0, at: at) }
            case "schema": o.schema = parseSchema(value, tree: &tree).map { Located($0, at: at) }
            case "deps":
                o.deps = tree.stringList(value, for: key)?.map { Located($0.0, at: tree.location($0.1)) }
            case "output":
                if let s = tree.string(value, for: key) {
                    let t = templates.parse(s, node: value, tree: &tree)
                    if !t.fieldReferences.isEmpty {
                        tree.error("'output' cannot use a target field; only ${var} placeholders", at: value)
                    }
                    o.output = Located(t.literalText ?? t.display, at: at)
                    o.outputNode = value
                }
            case "description": _ = tree.string(value, for: key)
            default: _ = keyNode
            }
        }
        return o
    }

    /// Sizes are strings; `2048x2048` written unquoted is still a string, but a bare number is not.
    private static func sizeString(_ node: Node, tree: inout YAMLTree) -> String? {
        if case .scalar(let s) = node, let n = DeriveOptions.plainNumber(node) {
            tree.error("'size' must be 1K, 2K, 4K or WxH such as 2048x2048, found the number \(s.string); did you mean '\(n)x\(n)'?",
                       at: node)
            return nil
        }
        return tree.string(node, for: "size")
    }

    private static func parseSchema(_ node: Node, tree: inout YAMLTree) -> SchemaSource? {
        switch node {
        case .mapping:
            guard let json = JSONOfNode.render(node) else {
                tree.error("'schema' must be JSON-compatible (mappings, lists, strings, numbers, booleans)", at: node)
                return nil
            }
            return .inline(json)
        default:
            guard let s = tree.string(node, for: "schema") else { return nil }
            if s.hasSuffix(".json") { return .file(s) }
            guard BuiltinSchemas.names.contains(s) else {
                let names = BuiltinSchemas.names.map { "'\($0)'" }.joined(separator: ", ")
                tree.error("unknown schema '\(s)'; give a mapping, a .json file or one of \(names)\(SpellCheck.didYouMean(s, in: BuiltinSchemas.names))", at: node)
                return nil
            }
            return .named(s)
        }
    }

    package static func parseReferences(_ node: Node, templates: TemplateParser,
                                        tree: inout YAMLTree) -> Located<[Located<Reference>]>? {
        let items: [Node]
        switch node {
        case .sequence(let seq): items = Array(seq)
        case .scalar, .mapping: items = [node]
        default:
            tree.error("'references' must be a list of targets, files or URLs, found \(tree.describe(node))", at: node)
            return nil
        }
        var out: [Located<Reference>] = []
        for item in items {
            if let r = parseReference(item, templates: templates, tree: &tree) {
                out.append(Located(r, at: tree.location(item)))
            }
        }
        return Located(out, at: tree.location(node))
    }

    private static func parseReference(_ node: Node, templates: TemplateParser, tree: inout YAMLTree) -> Reference? {
        if case .mapping = node {
            guard let entries = tree.entries(of: node, context: "a reference") else { return nil }
            tree.checkKeys(entries, known: ["url", "pin", "file", "target", "image"])
            let get = { (k: String) in entries.first { $0.key == k }?.value }
            let sources = entries.filter { ["url", "file", "target"].contains($0.key) }
            guard let source = sources.first else {
                tree.error("a reference mapping needs one of 'url', 'file' or 'target'", at: node,
                           notes: ["e.g. {url: https://example.com/a.png, pin: true}, {file: refs/a.png} or {target: poses, image: 2}"])
                return nil
            }
            if sources.count > 1 {
                let keys = sources.map { "'\($0.key)'" }.joined(separator: " and ")
                tree.error("a reference mapping takes one of 'url', 'file' or 'target', found \(keys); write one reference per list item",
                           at: sources[1].keyNode)
                return nil
            }
            for (option, owner) in [("pin", "url"), ("image", "target")] where source.key != owner {
                if let e = entries.first(where: { $0.key == option }) {
                    tree.error("'\(option)' goes with '\(owner)' in a reference, not with '\(source.key)'", at: e.keyNode)
                }
            }
            switch source.key {
            case "url":
                guard let url = tree.string(source.value, for: "url") else { return nil }
                let pin = get("pin").flatMap { tree.bool($0, for: "pin") } ?? false
                guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                    tree.error("'url' must start with https:// or http://; for a file beside the manifest write {file: \(url)}",
                               at: source.value)
                    return nil
                }
                return Reference(source: .url(url, pin: pin), spelling: url)
            case "file":
                guard let path = tree.string(source.value, for: "file") else { return nil }
                return Reference(source: .file(path), spelling: path)
            default:
                guard let name = tree.string(source.value, for: "target") else { return nil }
                let index = get("image").flatMap { tree.int($0, for: "image", range: 1...15) }
                return Reference(source: .target(name, index: index), spelling: index.map { "\(name)[\($0)]" } ?? name)
            }
        }
        guard let raw = tree.string(node, for: "references") else { return nil }
        let text = templates.parse(raw, node: node, tree: &tree).literalText ?? raw
        return Reference.parse(text)
    }
}

extension Reference {
    /// `https://…` is a URL; a bare name (optionally `name[n]`) is a target; anything with a `/`
    /// or an extension is a file relative to the manifest.
    package static func parse(_ text: String) -> Reference {
        if text.hasPrefix("https://") || text.hasPrefix("http://") {
            return Reference(source: .url(text, pin: false), spelling: text)
        }
        if !text.contains("/"), !text.contains(".") {
            if let open = text.firstIndex(of: "["), text.hasSuffix("]") {
                let name = String(text[..<open])
                let digits = text[text.index(after: open)..<text.index(before: text.endIndex)]
                if let n = Int(digits) { return Reference(source: .target(name, index: n), spelling: text) }
            }
            return Reference(source: .target(text, index: nil), spelling: text)
        }
        return Reference(source: .file(text), spelling: text)
    }
}

/// Renders a YAML node as JSON text (for inline schemas): sorted keys, so it hashes stably.
package enum JSONOfNode {
    package static func render(_ node: Node) -> String? {
        switch node {
        case .mapping(let m):
            var parts: [(String, String)] = []
            for (k, v) in m {
                guard let key = k.scalar?.string, let value = render(v) else { return nil }
                parts.append((key, value))
            }
            return "{" + parts.sorted { $0.0 < $1.0 }.map { "\(quote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        case .sequence(let s):
            var items: [String] = []
            for v in s {
                guard let r = render(v) else { return nil }
                items.append(r)
            }
            return "[" + items.joined(separator: ",") + "]"
        case .scalar(let s):
            if s.style == .plain {
                if s.string == "true" || s.string == "false" { return s.string }
                if s.string == "null" || s.string == "~" { return "null" }
                if let i = node.int { return String(i) }
                if let d = node.float, d.isFinite { return String(d) }
            }
            return quote(s.string)
        case .alias:
            return nil
        }
    }

    package static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
