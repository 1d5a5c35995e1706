import Foundation
import Testing
@testable import AssetBuildCore

/// `BuildRecordWriter` must write `build/assetbuild.json` exactly as `JSONEncoder` does.
@Suite struct BuildRecordWriterTests {
    @Test func writesWhatTheEncoderWrites() {
        var rng = EngineCorrectBuildTests.SplitMix(state: 11)
        let pieces = ["a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{7f}", "é", "😀", "e\u{301}", ":", ","]
        func text() -> String {
            (0..<Int.random(in: 0...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
        }
        func maybe<T>(_ make: () -> T) -> T? { Bool.random(using: &rng) ? make() : nil }
        let names = ["a", "b", "t2", "t10", "T1", "a-b", "a_b", "0", "z9", "hero", "hero-2"]
        for _ in 0..<300 {
            var targets: [String: BuildRecord.Entry] = [:]
            for name in names where Int.random(in: 0...2, using: &rng) > 0 {
                targets[name] = BuildRecord.Entry(
                    kind: text(), actionKey: text(), provider: text(), model: text(), prompt: text(), size: maybe(text),
                    imagesRequested: maybe { Int.random(in: -2...15, using: &rng) },
                    outputs: (0..<Int.random(in: 0...3, using: &rng)).map { _ in
                        .init(path: text(), sha256: text(), width: maybe { Int.random(in: 0...5000, using: &rng) },
                              height: maybe { Int.random(in: 0...5000, using: &rng) }, bytes: Int.random(in: 0...Int.max, using: &rng))
                    },
                    failures: (0..<Int.random(in: 0...2, using: &rng)).map { _ in
                        .init(image: Int.random(in: 1...15, using: &rng), code: text(), message: text())
                    },
                    usage: maybe { Usage(generatedImages: .random(in: 0...9, using: &rng), outputTokens: .random(in: 0...99999, using: &rng),
                                         totalTokens: .random(in: -1...99999, using: &rng)) },
                    requestIds: (0..<Int.random(in: 0...2, using: &rng)).map { _ in text() }, generatedAt: text())
            }
            var record = BuildRecord(manifest: text(), targets: targets)
            if Bool.random(using: &rng) { record.generator = text() }
            let encoded = record.encoded()
            #expect(encoded == record.encodedByEncoder(), "\(String(decoding: encoded, as: UTF8.self))")
        }
    }

    @Test func nonASCIITargetNamesGoToTheEncoder() {
        let record = BuildRecord(manifest: "m", targets: [:])
        #expect(BuildRecordWriter.write(record) != nil)
        var odd = record
        odd.targets["é"] = BuildRecord.Entry(kind: "image", actionKey: "k", provider: "p", model: "m", prompt: "x", size: nil,
                                             imagesRequested: nil, outputs: [], failures: [], usage: nil, requestIds: [],
                                             generatedAt: "t")
        #expect(BuildRecordWriter.write(odd) == nil)
        #expect(odd.encoded() == odd.encodedByEncoder())
    }
}
