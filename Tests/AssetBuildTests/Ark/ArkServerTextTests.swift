import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

/// `ServerText`, the one way server text enters: keys redacted in every encoding, credentials in
/// any Authorization echo, control characters escaped, and only then cut.
@Suite("Server text is scrubbed before it is shown, stored or cut")
struct ArkServerTextTests {
    static let key = "ark-servertext-0123456789abcdef-" + "3f6c1a9e"

    init() { Secrets.register(Self.key) }

    @Test("the key is redacted whole, as 'Bearer <key>', URL-encoded, in hex, and in base64 at every alignment inside longer base64")
    func everyEncodingOfTheKey() {
        let key = Self.key
        #expect(ServerText("key \(key) here").text == "key [redacted] here")
        #expect(ServerText("KEY \(key.uppercased())").text == "KEY [redacted]")
        #expect(ServerText("Authorization: Bearer \(key)").text == "Authorization: [redacted]")
        #expect(ServerText("q=\(key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)").text == "q=[redacted]")
        #expect(ServerText(Data(key.utf8).map { String(format: "%02X", $0) }.joined()).text == "[redacted]")
        // A base64 blob holding the key after 0, 1, 2, … bytes of anything: no 8 characters of the
        // key's own encoding survive, standard or URL-safe.
        for lead in 0..<6 {
            let blob = Data(Array("xyzzy!".utf8.prefix(lead)) + Array(key.utf8) + Array(" tail".utf8))
            for encoded in [blob.base64EncodedString(),
                            blob.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")] {
                let shown = ServerText(encoded).text
                #expect(shown.contains("[redacted]"), "\(lead): \(shown)")
                let alone = Data(key.utf8).base64EncodedString()
                #expect(!shown.contains(alone.dropFirst(2).prefix(8)), "\(lead): \(shown)")
            }
        }
    }

    @Test("an Authorization or Bearer echo is redacted whatever key it carries")
    func credentialsOfAnyKey() {
        #expect(ServerText("got Bearer sk-other-1234567890 from you").text == "got Bearer [redacted] from you")
        #expect(ServerText(#"{"authorization":"Basic dXNlcjpwYXNz"}"#).text == #"{"authorization":"[redacted]"}"#)
        #expect(ServerText("Proxy-Authorization: Digest abc, realm=x").text == "Proxy-Authorization: [redacted], realm=x")
        #expect(ServerText("authorization%3ABearer%20zzzz").text.contains("zzzz") == false)
        // Words that only look alike stay.
        #expect(ServerText("Authorization failed: the key is invalid").text == "Authorization failed: the key is invalid")
    }

    @Test("scrubbed before cut: a key across the cut leaves no part; the start of a key at a cut-off end is redacted too")
    func scrubBeforeCut() {
        let padding = String(repeating: "-", count: 75)
        let text = ServerText(padding + Self.key + " more")
        #expect(text.excerpt(80) == padding + "[reda…")
        #expect(!text.excerpt(80).contains(Self.key.prefix(4)))
        // A window that ends inside the key (the body went on).
        let window = ServerText("page text " + Self.key.prefix(20), complete: false)
        #expect(window.text == "page text [redacted]")
        let plain = ArkWire.plainText(Data((String(repeating: "x ", count: 50) + Self.key).utf8), limit: 120)
        #expect(!plain.text.contains(Self.key.prefix(6)) && plain.text.hasSuffix("[redacted]"), "\(plain)")
    }

    @Test("control characters and escape sequences are written visibly, on one line; a literal is scrubbed like the rest")
    func controlsAreEscaped() {
        let hostile = "\u{1B}[2J\u{1B}]0;title\u{07}\rforged\nline\u{9B}31m\u{202E}\u{7F}\tx"
        #expect(ServerText(hostile).text == #"\x1b[2J\x1b]0;title\x07\rforged\nline\x9b31m\u{202e}\x7f\tx"#)
        #expect(TerminalText.isSafe(ServerText(hostile).text))
        #expect(ServerText("模型 ✓ ünïcödé").text == "模型 ✓ ünïcödé")
        let literal: ServerText = "\u{1B}[31m"
        #expect(literal.text == #"\x1b[31m"#)
        #expect(TerminalText.escape("a\nb\u{1B}", keepingNewlines: true) == "a\nb\\x1b")
    }

    @Test("every string of an answer is read scrubbed except the payloads: image bytes and URLs as sent, a reply's lines kept")
    func answersAreScrubbedAtTheBoundary() throws {
        let body = #"{"model":"m \#(Self.key)","data":[{"url":"http://h/x?k=1","error":{"code":"C\u001b[2J","message":"Bearer abc"}}],"#
            + #""choices":[{"message":{"content":"line 1\nkey \#(Self.key)"}}],"x":{"y":["\u0007"]}}"#
        let json = try #require(ArkWire.answer(Data(body.utf8)))
        #expect(ArkWire.model(json)?.text == "m [redacted]")
        #expect(json["data"]?[0]?["url"]?.string == "http://h/x?k=1")
        #expect(json["data"]?[0]?["error"]?["code"]?.string == #"C\x1b[2J"#)
        #expect(json["data"]?[0]?["error"]?["message"]?.string == "Bearer [redacted]")
        #expect(json["choices"]?[0]?["message"]?["content"]?.string == "line 1\nkey [redacted]")
        #expect(json["x"]?["y"]?[0]?.string == #"\x07"#)
        let error = ArkWire.parseError(Data(#"{"error":{"code":"\#(Self.key)","param":"p\r","type":"t"}}"#.utf8))
        #expect(error == .init(code: "[redacted]", param: #"p\r"#, type: "t"))
        let headers = HTTPHeaderFields([("X-Request-Id", "id \(Self.key)\u{1B}")])
        #expect(ArkWire.requestID(headers, sent: "mine").text == #"id [redacted]\x1b"#)
    }

    @Test("the console escapes every name and message it prints (the print boundary), and keeps its own colours and lines")
    func consoleEscapesWhatItPrints() {
        let out = Mutex<String>("")
        let console = ConsoleReporter(style: .init(live: false, color: true, explain: true)) { text in out.withLock { $0 += text } }
        let hostile = "\u{1B}[2J\rforged\u{07}"
        console.report(.imageFailed(target: "t", failure: ImageFailure(index: 0, code: hostile, message: hostile)))
        console.report(.targetFailed(target: "t", message: "t: " + hostile + "\n  2 of 3 images are kept"))
        console.report(.warning(hostile))
        console.report(.retrying(target: "t", attempt: 2, maxAttempts: 3, delay: .seconds(1), reason: hostile))
        let printed = out.withLock { $0 }
        // Only this reporter's own colour codes are escape sequences; the rest is shown escaped.
        let withoutColours = printed.replacingOccurrences(of: #"\u{1B}\[[0-9;]*m"#, with: "", options: .regularExpression)
        #expect(TerminalText.isSafe(withoutColours, keepingNewlines: true), "\(printed)")
        #expect(printed.contains(#"\x1b[2J\rforged\x07"#))
        #expect(printed.contains("\u{1B}[1;31merror:\u{1B}[0m t: "))
        #expect(printed.contains("\n  2 of 3 images are kept\n"))
    }
}
