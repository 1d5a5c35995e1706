import Yams
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook

/// Walks a Yams node tree (composed with positions) and collects diagnostics as it goes.
/// Merge keys (`<<: *anchor`) are flattened here: Yams' `compose` keeps them as keys.
package struct YAMLTree {
    package let file: String
    package private(set) var diagnostics: [Diagnostic] = []

    package init(file: String) {
        self.file = file
    }

    /// Parses `text` into a node tree, or records why it could not.
    ///
    /// First with `Resolver.basic`, which types every untagged scalar as a string. Why: Yams'
    /// duplicate-key check hashes every mapping key with its resolved tag, and the default
    /// resolver tries up to seven ICU regular expressions per key (~0.1 s at 10,000 targets).
    /// Nothing here reads a resolved tag except for merge keys, which `entries(of:)` also knows
    /// as a plain `<<`; numbers are read from the scalar's text (`node.int`, `node.float`).
    /// The two resolvers can disagree only on which keys are duplicates: with every untagged key a
    /// string, `1` and `"1"` collide; and a key with an explicit tag (`!!int 1`) no longer collides
    /// with its plain twin. So a duplicate-key error, a key with a tag other than `!!str`, or
    /// a key that is not a scalar sends the text to the default resolver, and the tree or
    /// diagnostic is exactly the one it gives.
    package mutating func compose(_ text: String) -> Node? {
        if let (line, column) = ManifestLimits.aliasOverflow(in: text) {
            let limit = SizeSpec.grouped(ManifestLimits.maxNodes)
            error("the manifest grows past \(limit) YAML nodes at this alias (each alias counts as every node it repeats); that is assetbuild's limit on a manifest's size",
                  at: SourceLocation(file: file, line: line, column: column),
                  notes: ["nest fewer aliases: a real manifest of 10,000 targets has about 200,000 nodes"])
            return nil
        }
        if let node = try? Yams.compose(yaml: text, .basic), !Self.hasUntypicalKey(node) { return node }
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            diagnostics.append(YAMLSyntaxError(file: file, text: text).diagnostic(for: error))
        } catch {
            diagnostics.append(.error("cannot parse YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1)))
        }
        return nil
    }

    /// Whether some mapping key is not a scalar read as a string (see `compose`).
    package static func hasUntypicalKey(_ node: Node) -> Bool {
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping {
                guard case .scalar = key, key.tag.rawValue == Tag.Name.str.rawValue else { return true }
                if hasUntypicalKey(value) { return true }
            }
            return false
        case .sequence(let sequence):
            return sequence.contains(where: hasUntypicalKey)
        case .scalar, .alias:
            return false
        }
    }

    package func location(_ node: Node) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    package mutating func error(_ message: String, at node: Node, notes: [String] = []) {
        diagnostics.append(.error(message, at: location(node), notes: notes))
    }

    package mutating func error(_ message: String, at location: SourceLocation, notes: [String] = []) {
        diagnostics.append(.error(message, at: location, notes: notes))
    }

    package mutating func warning(_ message: String, at location: SourceLocation, notes: [String] = []) {
        diagnostics.append(.warning(message, at: location, notes: notes))
    }

    /// A mapping's entries with merge keys flattened: explicit keys win over merged ones, and among
    /// merged mappings the first listed wins (YAML's merge-key rules). Non-string keys are reported.
    package mutating func entries(of node: Node, context: String) -> [(key: String, keyNode: Node, value: Node)]? {
        guard case .mapping(let mapping) = node else {
            error("expected a mapping for \(context), found \(describe(node))", at: node)
            return nil
        }
        var explicit: [(String, Node, Node)] = []
        var merged: [(String, Node, Node)] = []
        for (k, v) in mapping {
            if k.tag.rawValue == Tag.Name.merge.rawValue || (k.scalar?.string == "<<" && k.scalar?.style == .plain) {
                let sources: [Node]
                switch v {
                case .mapping: sources = [v]
                case .sequence(let seq): sources = Array(seq)
                default:
                    error("a merge key '<<' takes a mapping or a list of mappings (an alias such as *defaults)", at: v)
                    continue
                }
                for source in sources {
                    guard let inner = entries(of: source, context: "a merge key '<<'") else { continue }
                    for entry in inner where !merged.contains(where: { $0.0 == entry.key }) {
                        merged.append((entry.key, entry.keyNode, entry.value))
                    }
                }
                continue
            }
            guard let key = k.scalar?.string, case .scalar = k else {
                error("keys in \(context) must be plain names, found \(describe(k))", at: k)
                continue
            }
            explicit.append((key, k, v))
        }
        let explicitKeys = Set(explicit.map(\.0))
        return explicit.map { ($0.0, $0.1, $0.2) } + merged.filter { !explicitKeys.contains($0.0) }.map { ($0.0, $0.1, $0.2) }
    }

    /// Reports every key not in `known` with a suggestion. Returns the known keys that were
    /// suggested, so a later "missing 'prompt'" is not reported on top of "did you mean 'prompt'?".
    @discardableResult
    package mutating func checkKeys(_ entries: [(key: String, keyNode: Node, value: Node)], known: [String],
                            elsewhere: [String: String] = [:]) -> Set<String> {
        var suggested = Set<String>()
        for e in entries where !known.contains(e.key) {
            if let hint = elsewhere[e.key] {
                error("'\(e.key)' \(hint)", at: e.keyNode)
            } else if let s = SpellCheck.suggestion(for: e.key, in: known) {
                suggested.insert(s)
                error("unknown key '\(e.key)'; did you mean '\(s)'?", at: e.keyNode)
            } else {
                let list = known.map { "'\($0)'" }.joined(separator: ", ")
                error("unknown key '\(e.key)'", at: e.keyNode, notes: ["known keys here: \(list)"])
            }
        }
        return suggested
    }

    package func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let s):
            if s.style == .plain, s.string == "~" || s.string == "null" || s.string.isEmpty { return "nothing (null)" }
            return "'\(s.string.count > 40 ? String(s.string.prefix(40)) + "…" : s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    // MARK: Typed scalars

    private func isPlain(_ node: Node) -> Bool { node.scalar?.style == .plain }

    package mutating func string(_ node: Node, for key: String) -> String? {
        guard case .scalar(let s) = node else {
            error("'\(key)' must be a string, found \(describe(node))", at: node)
            return nil
        }
        if s.style == .plain, s.string == "~" || s.string == "null" || s.string.isEmpty {
            error("'\(key)' must be a string, found nothing (null)", at: node)
            return nil
        }
        return s.string
    }

    package mutating func int(_ node: Node, for key: String, range: ClosedRange<Int>? = nil) -> Int? {
        guard isPlain(node), let v = node.int else {
            error("'\(key)' must be a whole number, found \(describe(node))", at: node)
            return nil
        }
        if let range, !range.contains(v) {
            error("'\(key)' must be from \(range.lowerBound) to \(range.upperBound), found \(v)", at: node)
            return nil
        }
        return v
    }

    package mutating func double(_ node: Node, for key: String, range: ClosedRange<Double>? = nil) -> Double? {
        guard isPlain(node), let v = node.float ?? node.int.map(Double.init), v.isFinite else {
            error("'\(key)' must be a number, found \(describe(node))", at: node)
            return nil
        }
        if let range, !range.contains(v) {
            error("'\(key)' must be from \(format(range.lowerBound)) to \(format(range.upperBound)), found \(format(v))", at: node)
            return nil
        }
        return v
    }

    package mutating func bool(_ node: Node, for key: String) -> Bool? {
        guard case .scalar(let scalar) = node else {
            error("'\(key)' must be true or false, found \(describe(node))", at: node)
            return nil
        }
        let s = scalar.string
        let lower = s.lowercased()
        if scalar.style == .plain {
            if lower == "true" { return true }
            if lower == "false" { return false }
        }
        // YAML 1.1 spellings (yes/no/on/off) are plain strings in YAML 1.2, and quotes make any a string.
        let meant = ["true": "true", "false": "false", "yes": "true", "no": "false", "on": "true", "off": "false",
                     "y": "true", "n": "false"][lower]
        if scalar.style != .plain, lower == "true" || lower == "false" {
            error("'\(key)' must be true or false without quotes, found the string \(describe(node))", at: node,
                  notes: ["write '\(key): \(lower)'"])
        } else if let meant {
            error("'\(key)' must be true or false, found \(describe(node)); did you mean \(meant)?", at: node,
                  notes: ["write '\(key): \(meant)' (no quotes)"])
        } else {
            error("'\(key)' must be true or false, found \(describe(node))", at: node)
        }
        return nil
    }

    /// A string that must be one of `choices`.
    package mutating func choice(_ node: Node, for key: String, _ choices: [String]) -> String? {
        guard let s = string(node, for: key) else { return nil }
        guard choices.contains(s) else {
            let list = choices.map { "'\($0)'" }.joined(separator: ", ")
            error("'\(key)' must be one of \(list), found '\(s)'\(SpellCheck.didYouMean(s, in: choices))", at: node)
            return nil
        }
        return s
    }

    /// A list of strings; a single string is accepted as a list of one.
    package mutating func stringList(_ node: Node, for key: String) -> [(String, Node)]? {
        switch node {
        case .scalar:
            return string(node, for: key).map { [($0, node)] }
        case .sequence(let seq):
            var out: [(String, Node)] = []
            for item in seq {
                if let s = string(item, for: key) { out.append((s, item)) }
            }
            return out
        default:
            error("'\(key)' must be a list of strings, found \(describe(node))", at: node)
            return nil
        }
    }
}
