import FakeArk
import Foundation
import Testing
@testable import AssetBuildCore

/// The real binary against a hostile fake (FakeArk+Hostile.swift): a server or gateway that echoes
/// the API key into every field it has, or fills them with terminal escapes. One target per kind
/// of answer, each asking for it in its prompt.
@Suite("Ark end to end: a server that echoes the key or sends escapes")
struct ArkEndToEndKeyLeakTests {
    /// Every hostile answer, for images and for text; `max_attempts: 2` so the retried gateway
    /// errors also go through a `retrying` event.
    static let manifest = """
    version: 1
    provider: {max_attempts: 2}
    defaults: {model: doubao-seedream-4-0-250828, size: 1K}
    targets:
      error-body:
        prompt: "[hostile:error-body] a fox"
      image-errors:
        prompt: "[hostile:image-errors] two foxes"
        images: 2
        min_images: 1
        stream: false
      stream:
        prompt: "[hostile:stream] two foxes"
        images: 2
        min_images: 1
        stream: true
      stream-error:
        prompt: "[hostile:stream-error] two foxes"
        images: 2
        stream: true
      gateway-page:
        prompt: "[hostile:gateway-page] a fox"
      gateway-text:
        prompt: "[hostile:gateway-text] a fox"
      not-json:
        prompt: "[hostile:not-json] a fox"
      story-error:
        kind: text
        prompt: "[hostile:error-body] a story"

    """

    /// The key as the hostile fake writes it: alone, base64 (of the key and of its header, both
    /// without padding, which depends on what follows) and URL-encoded.
    static func forms(of key: String) -> [String] {
        func base64(_ s: String) -> String { Data(s.utf8).base64EncodedString().trimmingCharacters(in: ["="]) }
        return [key, base64(key), base64("Bearer " + key), key.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!]
    }

    /// Every file of the project: `build/`, `assetbuild.lock`, and the cache with `cache.db`, its
    /// `-wal` and the objects, as raw bytes.
    static func projectFiles(_ s: ArkScene) throws -> [(path: String, bytes: Data)] {
        try s.dir.files().map { ($0, try s.dir.read($0)) }
    }

    @Test("the key is in no output, no --json event, no file of build/, no byte of the cache or the lock, whatever field the server echoes it in")
    func echoedKeyNeverLeaks() async throws {
        let manifest = Self.manifest + """
          story:
            kind: text
            prompt: "[hostile:image-errors] a story"
            response_format: text

        """
        try await withArk(manifest, { $0.hostile = FakeHostility(.echoKey) }) { s in
            let json = try await s.build(["-k", "--json"])
            let plain = try await s.build(["-k"])
            #expect(json.status == 1 && plain.status == 1, "\(json)\n\(plain)")
            // Every kind of answer was asked for, and each was shown: redacted.
            let prompts = Set(s.generationBodies.compactMap { $0["prompt"]?.string })
            for answer in FakeHostility.Answer.allCases where answer != .errorBody {
                #expect(prompts.contains { $0.contains("[hostile:\(answer.rawValue)]") }, "\(answer)")
            }
            #expect(s.fake.chatRequests.count >= 2)
            for r in [json, plain] {
                #expect(r.output.contains("[redacted]"), "\(r)")
                for form in Self.forms(of: s.key) {
                    #expect(!r.stdout.contains(form) && !r.stderr.contains(form), "\(form) in\n\(r)")
                }
            }
            // The fields reached every sink: events, the record, the cache.
            let events = try json.events()
            #expect(events.contains { $0["event"] as? String == "image_failed" && ($0["code"] as? String)?.contains("[redacted]") == true })
            #expect(events.contains { $0["event"] as? String == "warning" && ($0["message"] as? String)?.contains("[redacted]") == true })
            #expect(events.contains { $0["event"] as? String == "retrying" })
            let record = try s.record()
            // (Base64 keeps the characters that mix the key's bits with its neighbours': not the key.)
            #expect((record["image-errors"]?["model"] as? String)?.hasPrefix(
                "you sent Authorization: [redacted]; key [redacted]; base64 [redacted]") == true, "\(record)")
            #expect((record["stream"]?["request_ids"] as? [String])?.first?.contains("[redacted]") == true, "\(record)")
            #expect(String(decoding: (try? s.dir.read("build/story.txt")) ?? Data(), as: UTF8.self).hasPrefix(
                "a reply that quotes you sent Authorization: [redacted]; key [redacted]; base64 [redacted]"), "\(plain)")
            let files = try Self.projectFiles(s)
            #expect(files.contains { $0.path == ".assetbuild/cache.db" } && files.contains { $0.path == "assetbuild.lock" })
            let cache = files.filter { $0.path.hasPrefix(".assetbuild/cache.db") }.map(\.bytes).reduce(Data(), +)
            #expect(cache.range(of: Data("[redacted]".utf8)) != nil, "the echoed fields were stored")
            for (path, bytes) in files {
                for form in Self.forms(of: s.key) {
                    #expect(bytes.range(of: Data(form.utf8)) == nil, "\(form) found in \(path)")
                }
            }
        }
    }

    @Test("a key that straddles an excerpt's cut (80, 120 and 200 characters) is redacted whole, never its first characters")
    func straddlingKeyIsRedactedBeforeTheCut() async throws {
        try await withArk(Self.manifest, { $0.hostile = FakeHostility(.echoKey) }) { s in
            let r = try await s.build(["-k", "--json"])
            #expect(r.status == 1, "\(r)")
            // Any 8 characters of the key would be a leak: look for its first 8.
            let head = String(s.key.prefix(8))
            #expect(!r.output.contains(head), "\(r)")
            let failed = try r.events().filter { $0["event"] as? String == "target_failed" }
                .reduce(into: [String: String]()) { $0[$1["target"] as? String ?? ""] = $1["message"] as? String }
            #expect(failed["not-json"]?.contains("[redacted]") == true, "\(failed)")
            #expect(failed["gateway-text"]?.contains("[redacted]") == true, "\(failed)")
            let warnings = try r.events().compactMap { $0["event"] as? String == "warning" ? $0["message"] as? String : nil }
            #expect(warnings.contains { $0.contains("not json ---") && $0.contains("[redacted]") }, "\(warnings)")
        }
    }

    @Test("escape sequences from the server never reach the terminal raw, nor the record or the cache: they are shown escaped")
    func escapesAreShownEscaped() async throws {
        try await withArk(Self.manifest, { $0.hostile = FakeHostility(.escapes) }) { s in
            let json = try await s.build(["-k", "--json"])
            let plain = try await s.build(["-k"])
            #expect(json.status == 1 && plain.status == 1, "\(json)\n\(plain)")
            for r in [json, plain] {
                let bytes = Data(r.stdout.utf8) + Data(r.stderr.utf8)
                for raw in ["\u{1B}", "\u{07}", "\r", "\u{9B}", "\u{202E}"] {
                    #expect(bytes.range(of: Data(raw.utf8)) == nil, "raw \(raw.unicodeScalars.map { $0.value }) in\n\(r)")
                }
                // No line of output was forged: each starts as this program writes it.
                for line in r.stderr.split(separator: "\n") {
                    #expect(!line.hasPrefix("assetbuild: all 99") && !line.hasPrefix("done forged-by-server"), "\(line)")
                }
            }
            #expect(plain.stderr.contains(#"\x1b[2J\x1b[H\x1b]0;pwned by the server\x07\x9b31m\u{202e}\rassetbuild: all 99 target(s) up to date\ndone forged-by-server"#),
                    "\(plain)")
            // Stored text is escaped too: the record's model, request ids and failures, and the cache's bytes.
            let record = try s.record()
            let stored = [record["image-errors"]?["model"] as? String ?? ""] + (record["stream"]?["request_ids"] as? [String] ?? [])
                + (record["image-errors"]?["failures"] as? [[String: Any]] ?? []).flatMap { [$0["code"] as? String ?? "", $0["message"] as? String ?? ""] }
            #expect(stored.contains { $0.contains(#"\x1b[2J"#) }, "\(record)")
            for text in stored { #expect(TerminalText.isSafe(text), "\(text)") }
            for (path, bytes) in try Self.projectFiles(s) {
                for raw in ["\u{1B}[2J", "\u{1B}]0;pwned", "\rassetbuild: all 99", "\ndone forged"] {
                    #expect(bytes.range(of: Data(raw.utf8)) == nil, "raw escape in \(path)")
                }
            }
        }
    }
}
