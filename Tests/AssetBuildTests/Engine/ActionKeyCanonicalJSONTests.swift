import Foundation
import Testing
@testable import AssetBuildCore

/// The action key hashes the canonical JSON of `ActionKeyComponents`. `CanonicalJSONWriter`
/// writes it by hand; a single byte of difference from `JSONEncoder` would rebuild every
/// cached action, so it is compared with the encoder and known keys are pinned.
@Suite struct ActionKeyCanonicalJSONTests {
    /// Keys written by assetbuild before the hand-written form (bench/noop.sh's first target,
    /// and a text target with every field set).
    @Test func knownKeysStayTheSame() {
        let image = ActionKeyComponents(
            kind: "image", provider: "draft", model: "doubao-seedream-4-0-250828",
            prompt: "Benchmark tile 0: a flat teal square with the pattern from image 1", size: "1280x720", images: 1,
            references: ["4ada2765ed0edcea99529431274cb1e69cb44bb5ccb90fe942081f837df3ef3c"],
            options: OptionValues(["watermark": .bool(false)]))
        #expect(image.key == "bddfab0076f21bbefe35ec3d28e6366dc68931193cee157e2c3c3c2d51e684c7")
        let everything = ActionKeyComponents(
            format: 1, kind: "text", provider: "ark", model: "doubao-seed-1-6-250615",
            prompt: "Say \"hi\"\n\tto C:\\temp / 世界 😀 e\u{301}\u{1}", size: "2K", images: 3,
            references: ["a/b", "https://example.com/x.png"], system: "Be brief.\r\n", responseFormat: "json_schema",
            options: OptionValues(["watermark": .bool(true), "optimize_prompt": .string("standard"), "seed": .int(-1),
                                   "guidance_scale": .number(2.5), "thinking": .string("disabled"),
                                   "temperature": .number(0.7), "max_tokens": .int(1000)]))
        #expect(everything.canonicalJSON == everything.encodedCanonicalJSON)
        #expect(everything.key == "788235c7cb0e55213b1ca09ae93aeec384c23fc4f2169a9643c6c08387af6666")
    }

    @Test func writesWhatTheEncoderWrites() {
        var rng = EngineCorrectBuildTests.SplitMix(state: 7)
        let pieces = ["a", "Z", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{0}", "\u{8}", "\u{b}", "\u{c}", "\u{1f}",
                      "\u{7f}", "\u{85}", "\u{a0}", "\u{2028}", "é", "e\u{301}", "世界", "😀", "\u{feff}", "{}", ":", ",", "1"]
        func text() -> String {
            (0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
        }
        func maybe<T>(_ make: () -> T) -> T? { Bool.random(using: &rng) ? make() : nil }
        let doubles: [Double] = [0, -0.0, 1, 2.5, 0.7, 1e-7, 1e-5, 0.1 + 0.2, 1e15, 1e16, 123456789.125, 5e-324, 10, 7.5]
        for _ in 0..<3000 {
            let c = ActionKeyComponents(
                format: Int.random(in: -3...3, using: &rng), kind: text(), provider: text(), model: text(), prompt: text(),
                size: maybe(text), images: maybe { Int.random(in: -20...20, using: &rng) },
                references: maybe { (0..<Int.random(in: 0...3, using: &rng)).map { _ in text() } },
                system: maybe(text), responseFormat: maybe(text),
                options: OptionValues([
                    "watermark": maybe { .bool(Bool.random(using: &rng)) }, "optimize_prompt": maybe { .string(text()) },
                    "seed": maybe { .int(Int.random(in: Int.min...Int.max, using: &rng)) },
                    "guidance_scale": maybe { .number(doubles.randomElement(using: &rng)!) }, "thinking": maybe { .string(text()) },
                    "temperature": maybe { .number(Double.random(in: -1e6...1e6, using: &rng)) },
                    "max_tokens": maybe { .int(Int.random(in: 0...1_000_000, using: &rng)) },
                ].compactMapValues { $0 }))
            #expect(c.canonicalJSON == c.encodedCanonicalJSON)
        }
    }

    /// The encoder refuses a number that is not finite; the writer leaves that to it.
    @Test func nonFiniteNumbersGoToTheEncoder() {
        for value in [Double.infinity, -.infinity, .nan] {
            let c = ActionKeyComponents(kind: "text", provider: "p", model: "m", prompt: "x",
                                        options: OptionValues(["temperature": .number(value)]))
            #expect(CanonicalJSONWriter.write(c) == nil)
            #expect(c.canonicalJSON == c.encodedCanonicalJSON)
        }
    }
}
