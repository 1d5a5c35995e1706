/// One problem found in user input, printed as `file:line:col: error: message`
/// followed by the source line, a caret under the column, and optional notes.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error, warning, note
    }

    public var severity: Severity
    public var location: SourceLocation?
    public var message: String
    /// Follow-up lines such as `note: …` (already formatted, without the `note: ` prefix).
    public var notes: [String]

    public init(_ severity: Severity, _ message: String, at location: SourceLocation?, notes: [String] = []) {
        self.severity = severity
        self.message = message
        self.location = location
        self.notes = notes
    }

    public static func error(_ message: String, at location: SourceLocation?, notes: [String] = []) -> Diagnostic {
        Diagnostic(.error, message, at: location, notes: notes)
    }

    public static func warning(_ message: String, at location: SourceLocation?, notes: [String] = []) -> Diagnostic {
        Diagnostic(.warning, message, at: location, notes: notes)
    }

    /// The first line only: `file:line:col: error: message`.
    public var description: String {
        if let location { return "\(location): \(severity.rawValue): \(message)" }
        return "\(severity.rawValue): \(message)"
    }

    /// The full rendering, with the source line and a caret when `sourceText` is given.
    public func rendered(sourceLines: [Substring]? = nil, color: Bool = false) -> String {
        let bold = color ? "\u{1B}[1m" : ""
        let reset = color ? "\u{1B}[0m" : ""
        let tint: String
        switch severity {
        case .error: tint = color ? "\u{1B}[1;31m" : ""
        case .warning: tint = color ? "\u{1B}[1;35m" : ""
        case .note: tint = color ? "\u{1B}[1;36m" : ""
        }
        var out = ""
        if let location { out += "\(bold)\(location):\(reset) " }
        // Messages and source lines may hold a manifest's (or a server's) control characters: shown escaped.
        out += "\(tint)\(severity.rawValue):\(reset) \(bold)\(TerminalText.escape(message, keepingNewlines: true))\(reset)"
        // A blank line (an empty file) has nothing to point at.
        if let location, let lines = sourceLines, location.line >= 1, location.line <= lines.count,
           !lines[location.line - 1].allSatisfy(\.isWhitespace) {
            let (line, column) = Self.excerpt(lines[location.line - 1], column: location.column)
            out += "\n" + TerminalText.escape(line, keepingNewlines: true)
            let before = TerminalText.escape(String(line.prefix(max(0, column - 1))), keepingNewlines: true)
            let prefix = before.map { $0 == "\t" ? "\t" : " " }.joined()
            out += "\n" + prefix + (color ? "\u{1B}[1;32m^\u{1B}[0m" : "^")
        }
        for note in notes {
            out += "\n\(color ? "\u{1B}[1;36m" : "")note:\(reset) \(TerminalText.escape(note, keepingNewlines: true))"
        }
        return out
    }
}

extension Diagnostic {
    package static let maxSourceWidth = 160

    /// A long source line (a one-line prompt) cut to a window around the column, with `…` where
    /// it was cut; returns the text and the column within it.
    package static func excerpt(_ line: Substring, column: Int) -> (String, Int) {
        let chars = Array(line)
        guard chars.count > maxSourceWidth else { return (String(line), column) }
        // libyaml counts columns in Unicode scalars, and a line of combining marks has fewer
        // characters than scalars: the window never starts past the line's end.
        let start = min(column - 1 > maxSourceWidth - 40 ? max(0, column - 1 - 40) : 0, chars.count - maxSourceWidth)
        let end = min(chars.count, start + maxSourceWidth)
        let head = start > 0 ? "…" : ""
        let tail = end < chars.count ? "…" : ""
        return (head + String(chars[start..<end]) + tail, column - start + head.count)
    }
}

/// Thrown when user input (manifest, flags) is invalid; the CLI prints every diagnostic and exits 2.
public struct DiagnosticsError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    /// Source text per file, so the printer can show the offending line.
    public var sources: [String: String]

    public init(_ diagnostics: [Diagnostic], sources: [String: String] = [:]) {
        self.diagnostics = diagnostics
        self.sources = sources
    }

    public var description: String { render(color: false) }

    public func render(color: Bool) -> String {
        var split: [String: [Substring]] = [:]
        for (file, text) in sources { split[file] = text.split(separator: "\n", omittingEmptySubsequences: false) }
        return diagnostics.map { d in
            d.rendered(sourceLines: d.location.flatMap { split[$0.file] }, color: color)
        }.joined(separator: "\n")
    }
}
