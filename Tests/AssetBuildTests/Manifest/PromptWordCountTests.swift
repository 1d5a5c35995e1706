import Foundation
import Testing
@testable import AssetBuildCore

/// Fast paths in target resolution must count and trim exactly as the Foundation/grapheme
/// versions they stand in for.
@Suite struct PromptWordCountTests {
    static let pieces = ["word", " ", "  ", "\t", "\n", "\r\n", "\u{b}", "\u{c}", "\u{1c}", "\u{1f}", "\u{85}", "\u{a0}",
                         "\u{2003}", "\u{3000}", "世界", "e\u{301}", "\u{301}", "😀", "-", ".", "x"]

    @Test func everyASCIICharacterIsWhitespaceAsCharacterSaysIt() {
        for b in UInt8(0)..<0x80 {
            let s = "a" + String(UnicodeScalar(b)) + "b"
            #expect(TargetResolver.wordCount(s) == s.split(whereSeparator: { $0.isWhitespace }).count, "\(b)")
        }
    }

    @Test func wordCountMatchesTheGraphemeSplit() {
        var rng = EngineCorrectBuildTests.SplitMix(state: 3)
        for _ in 0..<3000 {
            let s = (0..<Int.random(in: 0...10, using: &rng)).map { _ in Self.pieces.randomElement(using: &rng)! }.joined()
            #expect(TargetResolver.wordCount(s) == s.split(whereSeparator: { $0.isWhitespace }).count, "\(s.debugDescription)")
        }
    }

    @Test func trimmedMatchesFoundation() {
        var rng = EngineCorrectBuildTests.SplitMix(state: 4)
        for _ in 0..<3000 {
            let s = (0..<Int.random(in: 0...5, using: &rng)).map { _ in Self.pieces.randomElement(using: &rng)! }.joined()
            #expect(SizeSpec.trimmed(s) == s.trimmingCharacters(in: .whitespaces), "\(s.debugDescription)")
        }
    }
}
