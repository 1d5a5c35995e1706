import Foundation
import Synchronization
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// Text that came from a server (an error's code, message, param or type, a per-image error, the
/// `model` field, a request-id header, an excerpt of a body that is not JSON), made safe to print,
/// store and send as an event. Every way of making one scrubs:
///
/// 1. each API key this process holds (`Secrets`), and its encodings (URL-encoded, hex, base64 at
///    any alignment), is replaced by `[redacted]`, and so is any `Authorization` or `Bearer` value
///    whatever its key;
/// 2. control characters and escape sequences are written visibly (`TerminalText`), so a message
///    stays on one line and cannot drive the terminal.
///
/// Cutting it short happens after both (`excerpt`), so a key across the cut never leaks a part.
/// Provider code keeps server text in this type until it builds its own message from it.
public struct ServerText: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The scrubbed text.
    public let text: String

    /// `complete: false` says `raw` is the start of something longer: a secret cut off at its end
    /// is redacted too.
    public init(_ raw: some StringProtocol, complete: Bool = true) {
        text = TerminalText.escape(Secrets.redact(String(raw), complete: complete))
    }

    /// A literal cannot carry server text; it is scrubbed all the same, so no way around it exists.
    public init(stringLiteral value: String) { self.init(value) }

    public var description: String { text }
    public var isEmpty: Bool { text.isEmpty }

    /// At most `limit` characters, with `…` when cut.
    public func excerpt(_ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }

    /// Nil for an empty text, for optional fields such as `param`.
    public var nonEmpty: String? { text.isEmpty ? nil : text }
}

/// The API keys this process holds, so that no text from a server can carry one out: registered
/// where a key is handed to a client (`ArkClient.init`), consulted by every `ServerText`.
public enum Secrets {
    private static let known = Mutex<[String: [Form]]>([:])
    package static let marker = "[redacted]"

    /// One way a key may be written: compared ignoring case, or exactly (base64).
    package struct Form: Sendable {
        package var text: String
        package var ignoringCase: Bool
    }

    /// Remembers `key` (shorter than 4 characters: not a key worth hiding, and too common a string).
    public static func register(_ key: String) {
        guard key.count >= 4 else { return }
        known.withLock { if $0[key] == nil { $0[key] = forms(of: key) } }
    }

    /// `text` with every registered key (in any of its forms) and every credential in an
    /// `Authorization` or `Bearer` echo replaced by `[redacted]`. `complete: false`: the text is
    /// a prefix of something longer, so the start of a key at its end is redacted too.
    public static func redact(_ text: String, complete: Bool = true) -> String {
        var out = text
        let all = known.withLock { $0.values.flatMap { $0 } }.sorted { $0.text.count > $1.text.count }
        for form in all {
            out = out.replacingOccurrences(of: form.text, with: marker, options: form.ignoringCase ? [.caseInsensitive] : [])
        }
        out = redactCredentials(out)
        if !complete { out = redactCutOff(out, forms: all) }
        return out
    }

    /// `Authorization: <anything>` and `Bearer <token>`, whoever's key it is.
    package static func redactCredentials(_ text: String) -> String {
        guard text.range(of: "bearer", options: .caseInsensitive) != nil
            || text.range(of: "authorization", options: .caseInsensitive) != nil else { return text }
        var out = text.replacingOccurrences(of: #"(?i)\bbearer(\s+|%20|\+)[A-Za-z0-9._~+/=-]+"#,
                                            with: "Bearer " + marker, options: .regularExpression)
        out = out.replacingOccurrences(
            of: #"(?i)\b((?:proxy-)?authorization)(["']?\s*(?::|=|%3A)\s*["']?)(?:(?:bearer|basic|digest)(?:\s+|%20|\+))?[^\s"',;<>&]+"#,
            with: "$1$2" + marker, options: .regularExpression)
        return out
    }

    /// The start of a key (4 characters or more) at the very end of a text that was cut there.
    package static func redactCutOff(_ text: String, forms: [Form]) -> String {
        for form in forms {
            let key = Array(form.text)
            var k = min(key.count - 1, text.count)
            while k >= 4 {
                let head = String(key[0..<k])
                if text.hasSuffix(head) || (form.ignoringCase && text.lowercased().hasSuffix(head.lowercased())) {
                    return String(text.dropLast(k)) + marker
                }
                k -= 1
            }
        }
        return text
    }

    /// The key as it is, URL-encoded, in hex, and in base64 (standard and URL-safe) at each of the
    /// three alignments it can have inside a longer base64 text.
    package static func forms(of key: String) -> [Form] {
        var forms = [Form(text: key, ignoringCase: true)]
        let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        for allowed in [CharacterSet.alphanumerics, unreserved] {
            if let encoded = key.addingPercentEncoding(withAllowedCharacters: allowed), encoded != key {
                forms.append(Form(text: encoded, ignoringCase: true))
            }
        }
        let bytes = Array(key.utf8)
        forms.append(Form(text: bytes.map { String(format: "%02x", $0) }.joined(), ignoringCase: true))
        for offset in 0..<3 {
            let encoded = Data(Array(repeating: 0, count: offset) + bytes).base64EncodedString()
            // Only the characters made of the key's bits alone: the same whatever surrounds it.
            let first = (8 * offset + 5) / 6
            let end = 8 * (offset + bytes.count) / 6
            guard end - first >= 6 else { continue }
            let chars = Array(encoded)
            let stable = String(chars[first..<end])
            forms.append(Form(text: stable, ignoringCase: false))
            let urlSafe = stable.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            if urlSafe != stable { forms.append(Form(text: urlSafe, ignoringCase: false)) }
        }
        return forms
    }
}
