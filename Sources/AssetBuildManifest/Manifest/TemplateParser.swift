import Yams
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook

/// Parses `${…}` placeholders in manifest strings: `${name}` expands a var at load time,
/// `${target.field}` stays a field reference, `$${` writes a literal `${`.
package struct TemplateParser {
    /// Var values, already expanded.
    package var vars: [String: String]

    /// Parses the string in `node` (a scalar) into a template, reporting unknown vars at their column.
    package func parse(_ text: String, node: Node, tree: inout YAMLTree) -> Template {
        let base = tree.location(node)
        // Exact columns are only knowable for single-line plain or quoted scalars. Asked only
        // for a placeholder's location (an error or a field reference), not for every string.
        let style = node.scalar?.style
        let lead = (style == .singleQuoted || style == .doubleQuoted) ? 1 : 0
        func location(atOffset offset: Int) -> SourceLocation {
            let exact = !text.contains("\n") && (style == .plain || style == .singleQuoted || style == .doubleQuoted)
            guard exact else { return base }
            return SourceLocation(file: base.file, line: base.line, column: base.column + lead + offset)
        }
        return parse(text, location: location, tree: &tree, templateLocation: base)
    }

    package func parse(_ text: String, location: (Int) -> SourceLocation, tree: inout YAMLTree,
               templateLocation: SourceLocation) -> Template {
        // Most strings have no placeholder: then the template is the text itself, which the loop
        // below would rebuild character by character (~20 ms per 10,000 prompts).
        if !text.utf8.contains(UInt8(ascii: "$")) {
            return Template(parts: text.isEmpty ? [] : [.literal(text)], location: templateLocation)
        }
        var parts: [Template.Part] = []
        var literal = ""
        let chars = Array(text)
        var i = 0
        func flush() {
            if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
        }
        while i < chars.count {
            if chars[i] == "$", i + 2 < chars.count, chars[i + 1] == "$", chars[i + 2] == "{" {
                literal += "${"
                i += 3
                continue
            }
            guard chars[i] == "$", i + 1 < chars.count, chars[i + 1] == "{" else {
                literal.append(chars[i])
                i += 1
                continue
            }
            guard let close = chars[(i + 2)...].firstIndex(of: "}") else {
                tree.error("unterminated '${' in string; close it with '}' or write '$${' for a literal '${'",
                           at: location(i))
                literal += String(chars[i...])
                break
            }
            let name = String(chars[(i + 2)..<close])
            let segments = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if name.isEmpty || segments.contains(where: { !Self.isIdentifier($0) }) {
                tree.error("'${\(name)}' is not a valid placeholder; use ${var} or ${target.field}", at: location(i))
            } else if segments.count == 1 {
                if let value = vars[name] {
                    literal += value
                } else {
                    tree.error("unknown var '\(name)'\(SpellCheck.didYouMean(name, in: vars.keys.sorted()))",
                               at: location(i))
                }
            } else {
                flush()
                parts.append(.field(target: segments[0], path: Array(segments.dropFirst()), location: location(i)))
            }
            i = close + 1
        }
        flush()
        return Template(parts: parts, location: templateLocation)
    }

    package static func isIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first.properties.isAlphabetic || first == "_" || ("0"..."9").contains(first) else {
            return false
        }
        return s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }

    /// Expands vars that refer to other vars, in any order, reporting cycles.
    package static func expandVars(_ raw: [(name: String, value: String, node: Node)], tree: inout YAMLTree) -> [String: String] {
        let byName = Dictionary(raw.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var done: [String: String] = [:]
        var visiting: [String] = []

        func expand(_ name: String) -> String {
            if let v = done[name] { return v }
            guard let entry = byName[name] else { return "" }
            if let start = visiting.firstIndex(of: name) {
                let cycle = (visiting[start...] + [name]).joined(separator: " -> ")
                tree.error("vars refer to each other in a cycle: \(cycle)", at: entry.node)
                return ""
            }
            visiting.append(name)
            var deps: [String: String] = [:]
            for dep in placeholderNames(entry.value) where byName[dep] != nil {
                deps[dep] = expand(dep)
            }
            visiting.removeLast()
            let template = TemplateParser(vars: deps).parse(entry.value, node: entry.node, tree: &tree)
            if !template.fieldReferences.isEmpty {
                tree.error("var '\(name)' cannot use a target field (${target.field}); use it in a prompt instead",
                           at: entry.node)
            }
            let value = template.literalText ?? template.display
            done[name] = value
            return value
        }

        for entry in raw { _ = expand(entry.name) }
        return done
    }

    /// Names inside `${…}` placeholders (first segment), ignoring `$${` escapes.
    package static func placeholderNames(_ text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let r = rest.range(of: "${") {
            if r.lowerBound > rest.startIndex, rest[rest.index(before: r.lowerBound)] == "$" {
                rest = rest[r.upperBound...]
                continue
            }
            guard let close = rest[r.upperBound...].firstIndex(of: "}") else { break }
            let name = rest[r.upperBound..<close].split(separator: ".").first.map(String.init) ?? ""
            names.append(name)
            rest = rest[rest.index(after: close)...]
        }
        return names
    }
}
