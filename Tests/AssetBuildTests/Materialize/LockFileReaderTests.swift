import Foundation
import Testing
@testable import AssetBuildCore

/// `LockFileReader` reads the lock without Yams; whatever it accepts must read exactly as Yams
/// reads it, and whatever it refuses falls back to Yams.
@Suite struct LockFileReaderTests {
    static let hexA = String(repeating: "ab12", count: 16)
    static let hexB = String(repeating: "9f0c", count: 16)

    static func entry(_ key: String, _ paths: [(String, String)]) -> BuildRecord.Entry {
        BuildRecord.Entry(kind: "images", actionKey: key, provider: "draft", model: "m", prompt: "p", size: nil,
                          imagesRequested: nil,
                          outputs: paths.map { .init(path: $0.0, sha256: $0.1, width: 1, height: 1, bytes: 1) },
                          failures: [], usage: nil, requestIds: [], generatedAt: "")
    }

    static func lockText(_ targets: [String: BuildRecord.Entry], pins: [String: String] = [:]) -> String {
        BuildRecord(manifest: "assetbuild.yaml", targets: targets).lockFile(pins: pins)
    }

    static let written = lockText([
        "hero": entry(hexA, [("hero.png", hexB)]),
        "tiles": entry(hexB, [("tiles/1.png", hexA), ("tiles/2.png", hexB)]),
        "01-intro": entry(hexA, [("01-intro.jpeg", hexB)]),
        "empty": entry(hexB, []),
    ], pins: ["https://example.com/a b.png?x=1#y": hexA, "https://example.com/c.png": hexB])

    func same(_ a: LockFile, _ b: LockFile) -> Bool { a.targets == b.targets && a.pins == b.pins }

    @Test func readsWhatAssetbuildWritesWithoutYams() throws {
        let fast = try #require(LockFileReader.parse(Self.written))
        #expect(same(fast, LockFile.parseWithYams(Self.written)))
        #expect(fast.targets.count == 4)
        #expect(fast.targets["tiles"]?.outputs.map(\.path) == ["tiles/1.png", "tiles/2.png"])
        #expect(fast.targets["empty"]?.outputs.isEmpty == true)
        #expect(fast.pins["https://example.com/a b.png?x=1#y"] == Self.hexA)
    }

    /// Names and hashes YAML reads as something other than a string are left to Yams.
    @Test func scalarsYAMLDoesNotReadAsStringsGoToYams() {
        let odd = ["yes", "No", "null", "1", "1e5", "0b0101", "0x1f", "0o17", "2024-01-01", "1_000", "12e3"]
        for name in odd {
            let text = Self.lockText([name: Self.entry(Self.hexA, [("a.png", Self.hexB)])])
            #expect(LockFileReader.parse(text) == nil, "\(name)")
            #expect(same(LockFile.parse(text), LockFile.parseWithYams(text)), "\(name)")
        }
        for hash in [String(repeating: "1", count: 64), "1e" + String(repeating: "0", count: 62),
                     "0b" + String(repeating: "01", count: 31)] {
            let text = Self.lockText(["t": Self.entry(hash, [("a.png", hash)])])
            #expect(LockFileReader.parse(text) == nil, "\(hash)")
            #expect(same(LockFile.parse(text), LockFile.parseWithYams(text)))
        }
        // Hashes that merely look numeric at first are strings, and read directly.
        for hash in ["0b" + String(repeating: "0a", count: 31), "1e" + String(repeating: "0", count: 61) + "f"] {
            let text = Self.lockText(["t": Self.entry(hash, [("a.png", hash)])])
            #expect(LockFileReader.parse(text) != nil, "\(hash)")
            #expect(same(LockFile.parse(text), LockFile.parseWithYams(text)))
        }
    }

    /// Random edits of a written lock (a hand edit, a bad merge): the result is always Yams'.
    @Test func anyEditReadsAsYamsReadsIt() {
        var rng = EngineCorrectBuildTests.SplitMix(state: 42)
        let base = Array(Self.written.utf8)
        let alphabet = Array(" :#\"\\e0\n-xby\t\r.é".utf8)
        var direct = 0
        for _ in 0..<3000 {
            var bytes = base
            for _ in 0...Int(rng.next() % 3) {
                var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
                let i = Int(rng.next() % UInt64(lines.count))
                let j = Int(rng.next() % UInt64(lines.count))
                switch rng.next() % 6 {
                case 0: lines.remove(at: i)
                case 1: lines.insert(lines[i], at: j)
                case 2: lines.swapAt(i, j)
                case 3: lines.insert([], at: i)
                case 4: lines[i].insert(UInt8(ascii: " "), at: 0)
                default:
                    if !lines[i].isEmpty {
                        lines[i][Int(rng.next() % UInt64(lines[i].count))] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                    }
                }
                bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if LockFileReader.parse(text) != nil { direct += 1 }
            #expect(same(LockFile.parse(text), LockFile.parseWithYams(text)), "\(text)")
        }
        #expect(direct > 50)  // the direct reader did take part
    }
}
