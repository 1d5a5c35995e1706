import Foundation
import Yams
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook

/// Turns a YAML syntax error from libyaml (through Yams) into a diagnostic that says what is wrong
/// in manifest terms and where to fix it: tabs, indentation, undefined aliases, duplicate keys and
/// group images left unquoted inside `[ … ]`.
package struct YAMLSyntaxError {
    package let file: String
    package let text: String
    private let lines: [Substring]

    package init(file: String, text: String) {
        self.file = file
        self.text = text
        self.lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    package func diagnostic(for error: YamlError) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            return syntax(problem: problem, context: context, at: mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return duplicate(duplicates, first: context.mark)
        case .reader(let problem, _, _, _):
            return .error("cannot read the manifest: \(problem)", at: location(line: 1, column: 1))
        default:
            return .error("invalid YAML: \(error)", at: location(line: 1, column: 1))
        }
    }

    private func location(line: Int, column: Int) -> SourceLocation {
        SourceLocation(file: file, line: line, column: column)
    }

    private func line(_ n: Int) -> String? {
        n >= 1 && n <= lines.count ? String(lines[n - 1]) : nil
    }

    private static func indentation(_ line: String) -> Substring {
        line.prefix { $0 == " " || $0 == "\t" }
    }

    private func syntax(problem: String, context: YamlError.Context?, at mark: Mark) -> Diagnostic {
        // A tab in the indentation of the line libyaml stopped at (or the one before it).
        for n in [mark.line, mark.line - 1] {
            guard let source = line(n), let tab = Self.indentation(source).firstIndex(of: "\t") else { continue }
            return .error("a tab indents this line; YAML indents with spaces only",
                          at: location(line: n, column: source.distance(from: source.startIndex, to: tab) + 1),
                          notes: ["replace each tab at the start of the line with spaces (2 per level in the examples)"])
        }
        if problem == "found undefined alias" { return undefinedAlias(at: mark) }
        // A quote never closed runs to the end of the file, where libyaml stops: point at the quote.
        if problem.contains("unexpected end of stream"), let context, context.text.contains("quoted scalar") {
            let open = context.mark
            let source: String = line(open.line) ?? ""
            let first: Character? = source.dropFirst(max(0, open.column - 1)).first
            let quote: String = first == "'" ? "'" : "\""
            return .error("this \(quote == "'" ? "single" : "double")-quoted string is never closed; add the closing \(quote)",
                          at: location(line: open.line, column: open.column),
                          notes: ["a quoted value may span lines, so YAML read to the end of the file looking for the closing \(quote)"])
        }

        var message = "invalid YAML: \(problem)"
        if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
        var notes: [String] = []
        let source = line(mark.line) ?? ""
        if problem.contains("did not find expected ',' or ']'"),
           let r = source.range(of: #"[a-z0-9][a-z0-9_-]*\[[0-9]+\]"#, options: .regularExpression) {
            let ref = String(source[r])
            notes.append("inside [ … ] a group image such as \(ref) must be quoted: [\"\(ref)\", …]; or write one '- \(ref)' per line")
        } else if problem.contains("did not find expected ',' or ']'"), let context {
            notes.append("close the list that starts at line \(context.mark.line), column \(context.mark.column) with ']', and separate its items with ','")
        } else if problem.contains("mapping values are not allowed") {
            notes.append("a value containing ': ' must be quoted, e.g. prompt: \"Title: subtitle\"")
        } else if problem.contains("did not find expected key"), let context, context.text.contains("block mapping") {
            let key = source.range(of: #"^\s*[^\s:#]+"#, options: .regularExpression).map {
                source[$0].trimmingCharacters(in: .whitespaces)
            }
            let what = key.map { "'\($0)'" } ?? "this line"
            notes.append("keys of one mapping start in the same column: indent \(what) like the key at line \(context.mark.line), column \(context.mark.column), or quote a value that continues on this line")
        }
        return .error(message, at: pointable(mark), notes: notes)
    }

    /// `mark`, or when it lies past the text (libyaml stops after the last line) the end of the
    /// last line that has text, so the message still shows a source line and a caret.
    private func pointable(_ mark: Mark) -> SourceLocation {
        if let source = line(mark.line), !source.allSatisfy(\.isWhitespace) {
            return location(line: mark.line, column: mark.column)
        }
        var n = min(mark.line, lines.count)
        while n > 1, line(n)?.allSatisfy(\.isWhitespace) ?? true { n -= 1 }
        let last = line(n) ?? ""
        return location(line: n, column: max(1, last.count))
    }

    /// `*name` with no `&name` before it: name the alias, and say where the anchor is (if later) or
    /// which anchors exist.
    private func undefinedAlias(at mark: Mark) -> Diagnostic {
        let source = line(mark.line) ?? ""
        let rest = source.dropFirst(max(0, mark.column - 1))
        let name = rest.dropFirst(rest.hasPrefix("*") ? 1 : 0).prefix { !" \t,[]{}".contains($0) }
        var anchors: [(name: String, line: Int)] = []
        for (i, l) in lines.enumerated() {
            var search = l[...]
            while let r = search.range(of: #"&[^\s,\[\]{}]+"#, options: .regularExpression) {
                anchors.append((String(search[r].dropFirst()), i + 1))
                search = search[r.upperBound...]
            }
        }
        let at = location(line: mark.line, column: mark.column)
        if let later = anchors.first(where: { $0.name == name }) {
            return .error("alias '*\(name)' is used before its anchor '&\(name)' (line \(later.line)); move the anchored mapping above its first use",
                          at: at)
        }
        let names = anchors.map(\.name)
        let note = names.isEmpty
            ? "the file defines no anchors; name a mapping with '&\(name)' after its key, e.g. 'defaults: &\(name)'"
            : "anchors defined in this file: \(names.map { "&\($0)" }.joined(separator: ", "))"
        return .error("undefined alias '*\(name)'\(SpellCheck.didYouMean(String(name), in: names).replacingOccurrences(of: "mean '", with: "mean '*"))",
                      at: at, notes: [note])
    }

    /// Yams reports the first of two equal keys; point at the second, which is the one to remove.
    private func duplicate(_ keys: [String], first: Mark) -> Diagnostic {
        let key = keys.first ?? ""
        let quoted = keys.map { "'\($0)'" }.joined(separator: ", ")
        var at = location(line: first.line, column: first.column)
        let indent = first.column - 1
        var n = first.line + 1
        while let source = line(n) {
            let trimmed = source.trimmingCharacters(in: .whitespaces)
            let depth = Self.indentation(source).count
            if !trimmed.isEmpty, !trimmed.hasPrefix("#") {
                if depth < indent { break }
                if depth == indent, source.dropFirst(indent).range(of: "^\"?'?\(NSRegularExpression.escapedPattern(for: key))\"?'?\\s*:",
                                                                     options: .regularExpression) != nil {
                    at = location(line: n, column: first.column)
                    break
                }
            }
            n += 1
        }
        let already = at.line == first.line ? "" : "; it is already set on line \(first.line)"
        return .error("duplicate key \(quoted)\(already)", at: at,
                      notes: ["YAML keeps only one of them; remove one (or rename it)"])
    }
}
