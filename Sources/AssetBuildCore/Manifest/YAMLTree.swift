import Yams

/// Walks a Yams node tree (composed with positions) and collects diagnostics as it goes.
/// Merge keys (`<<: *anchor`) are flattened here: Yams' `compose` keeps them as keys.
struct YAMLTree {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) {
        self.file = file
    }

    /// Parses `text` into a node tree, or records why it could not.
    mutating func compose(_ text: String) -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            var d = diagnostic(for: error)
            if let note = Self.hint(for: d, text: text) { d.notes.append(note) }
            diagnostics.append(d)
        } catch {
            diagnostics.append(.error("cannot parse YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1)))
        }
        return nil
    }

    /// Advice for parse errors that have a usual cause in assetbuild manifests.
    static func hint(for d: Diagnostic, text: String) -> String? {
        guard let line = d.location?.line else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line <= lines.count else { return nil }
        let source = String(lines[line - 1])
        if d.message.contains("flow sequence"),
           let r = source.range(of: #"[a-z0-9][a-z0-9_-]*\[[0-9]+\]"#, options: .regularExpression) {
            let ref = String(source[r])
            return "inside [ … ] a group image such as \(ref) must be quoted: [\"\(ref)\", …]; or write one '- \(ref)' per line"
        }
        if d.message.contains("mapping values are not allowed") {
            return "a value containing ': ' must be quoted, e.g. prompt: \"Title: subtitle\""
        }
        return nil
    }

    private func diagnostic(for error: YamlError) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var message = "invalid YAML: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            let notes = problem.contains("tab") || problem.contains("\\t")
                ? ["YAML indents with spaces; replace the tab characters"] : []
            return .error(message, at: at(mark), notes: notes)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return .error("duplicate key \(keys) in one mapping; the second would silently replace the first",
                          at: at(context.mark))
        case .reader(let problem, _, _, _):
            return .error("cannot read the manifest: \(problem)", at: SourceLocation(file: file, line: 1, column: 1))
        default:
            return .error("invalid YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
        }
    }

    func location(_ node: Node) -> SourceLocation {
        let mark = node.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    mutating func error(_ message: String, at node: Node, notes: [String] = []) {
        diagnostics.append(.error(message, at: location(node), notes: notes))
    }

    mutating func error(_ message: String, at location: SourceLocation, notes: [String] = []) {
        diagnostics.append(.error(message, at: location, notes: notes))
    }

    mutating func warning(_ message: String, at location: SourceLocation, notes: [String] = []) {
        diagnostics.append(.warning(message, at: location, notes: notes))
    }

    /// A mapping's entries with merge keys flattened: explicit keys win over merged ones, and among
    /// merged mappings the first listed wins (YAML's merge-key rules). Non-string keys are reported.
    mutating func entries(of node: Node, context: String) -> [(key: String, keyNode: Node, value: Node)]? {
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

    /// Reports every key not in `known` with a suggestion.
    mutating func checkKeys(_ entries: [(key: String, keyNode: Node, value: Node)], known: [String],
                            elsewhere: [String: String] = [:]) {
        for e in entries where !known.contains(e.key) {
            if let hint = elsewhere[e.key] {
                error("'\(e.key)' \(hint)", at: e.keyNode)
            } else {
                error("unknown key '\(e.key)'\(SpellCheck.didYouMean(e.key, in: known))", at: e.keyNode)
            }
        }
    }

    func describe(_ node: Node) -> String {
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

    mutating func string(_ node: Node, for key: String) -> String? {
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

    mutating func int(_ node: Node, for key: String, range: ClosedRange<Int>? = nil) -> Int? {
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

    mutating func double(_ node: Node, for key: String, range: ClosedRange<Double>? = nil) -> Double? {
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

    mutating func bool(_ node: Node, for key: String) -> Bool? {
        guard isPlain(node), let s = node.scalar?.string else {
            error("'\(key)' must be true or false, found \(describe(node))", at: node)
            return nil
        }
        switch s {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            error("'\(key)' must be true or false, found \(describe(node))", at: node)
            return nil
        }
    }

    /// A string that must be one of `choices`.
    mutating func choice(_ node: Node, for key: String, _ choices: [String]) -> String? {
        guard let s = string(node, for: key) else { return nil }
        guard choices.contains(s) else {
            let list = choices.map { "'\($0)'" }.joined(separator: ", ")
            error("'\(key)' must be one of \(list), found '\(s)'\(SpellCheck.didYouMean(s, in: choices))", at: node)
            return nil
        }
        return s
    }

    /// A list of strings; a single string is accepted as a list of one.
    mutating func stringList(_ node: Node, for key: String) -> [(String, Node)]? {
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

func format(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
}
