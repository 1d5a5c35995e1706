/// Text made safe to show on a terminal: control characters and the characters that reorder or
/// break lines are written as visible escapes (`\x1b`, `\r`, `\u{202e}`), so text from elsewhere
/// (a server's message, a manifest's string) can never clear the screen, set the window title,
/// move the cursor, or forge a line of output. Printable text, including any language, is kept.
public enum TerminalText {
    /// `keepingNewlines` keeps `\n` and `\t` as they are: for messages this program formats over
    /// several lines itself. Text from a server is escaped whole (`ServerText`), so a newline it
    /// sent is already `\n` by then.
    public static func escape(_ text: String, keepingNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, keepingNewlines: keepingNewlines) }) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar, keepingNewlines: keepingNewlines) else {
                out.append(scalar)
                continue
            }
            out.append(contentsOf: visible(scalar).unicodeScalars)
        }
        return String(out)
    }

    /// Whether the text holds anything `escape` would change.
    public static func isSafe(_ text: String, keepingNewlines: Bool = false) -> Bool {
        !text.unicodeScalars.contains { needsEscape($0, keepingNewlines: keepingNewlines) }
    }

    package static func needsEscape(_ s: Unicode.Scalar, keepingNewlines: Bool) -> Bool {
        switch s.value {
        case 0x0A, 0x09: return !keepingNewlines
        // C0 controls (ESC, CR, BEL, backspace…), DEL, and C1 controls (0x9B is a one-byte CSI).
        case 0x00...0x1F, 0x7F...0x9F: return true
        // Bidirectional overrides and isolates (they reorder what is shown), line and paragraph separators.
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029: return true
        default: return false
        }
    }

    package static func visible(_ s: Unicode.Scalar) -> String {
        switch s.value {
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x00...0xFF:
            let hex = String(s.value, radix: 16)
            return "\\x" + (hex.count < 2 ? "0" + hex : hex)
        default: return "\\u{" + String(s.value, radix: 16) + "}"
        }
    }
}
