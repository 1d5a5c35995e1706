import Foundation
import Testing
@testable import AssetBuildCore

/// Time and memory stay bounded whatever the manifest holds (issue 14, item 17): each limit is
/// named when it is hit, and what a real manifest does stays well inside it.
@Suite struct InputLimitsTests {
    static func parse(_ text: String, directory: String = "/m", allowOutside: Bool = false) -> (Manifest?, [Diagnostic]) {
        do {
            let m = try ManifestLoader.parse(text: text, file: "assetbuild.yaml", path: directory + "/assetbuild.yaml",
                                             directory: directory, allowOutside: allowOutside)
            return (m, m.warnings)
        } catch {
            return (nil, error.diagnostics)
        }
    }

    /// The bomb: 589 bytes, nine levels of nine aliases (387 million nodes expanded).
    static func bomb(depth: Int) -> String {
        var lines = ["version: 1", "x-bomb:", "  a0: &a0 [x, x, x, x, x, x, x, x, x]"]
        for i in 1...depth { lines.append("  a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ",") + "]") }
        return (lines + ["targets:", "  mascot:", "    prompt: \"A robot\""]).joined(separator: "\n") + "\n"
    }

    @Test func an_alias_bomb_is_refused_by_its_node_count_at_the_alias_that_crosses_it() {
        let text = Self.bomb(depth: 9)
        #expect(text.utf8.count < 600)
        let (manifest, diagnostics) = Self.parse(text)
        #expect(manifest == nil)
        #expect(diagnostics.count == 1)
        let d = diagnostics.first
        #expect(d?.message.contains("grows past 2,000,000 YAML nodes") == true, "\(diagnostics)")
        // 9^6 × 9 copies of a5 cross the limit in a6's list.
        #expect(d?.location?.line == 9)
    }

    @Test func the_same_bomb_under_a_complex_key_is_refused_before_yams_hashes_it() {
        let text = Self.bomb(depth: 9).replacingOccurrences(of: "targets:", with: "? *a9\n: 1\ntargets:")
        let (manifest, diagnostics) = Self.parse(text)
        #expect(manifest == nil)
        #expect(diagnostics.first?.message.contains("YAML nodes") == true, "\(diagnostics)")
    }

    @Test func node_counter_counts_each_alias_as_the_nodes_it_repeats() {
        var c = ManifestLimits.NodeCounter(limit: 100)
        c.open(anchor: "a")            // [x, y]: 3 nodes
        c.leaf(anchor: nil)
        c.leaf(anchor: nil)
        c.close()
        c.open(anchor: nil)            // [*a, *a]: 1 + 3 + 3
        c.alias("a")
        c.alias("a")
        c.close()
        #expect(c.total == 3 + 7)
        // The document: the root mapping, two keys, [x, y] (3) and [*a, *a] (7): 13 nodes.
        #expect(ManifestLimits.aliasOverflow(in: "a: &a [x, y]\nb: [*a, *a]\n", limit: 13) == nil)
        #expect(ManifestLimits.aliasOverflow(in: "a: &a [x, y]\nb: [*a, *a]\n", limit: 12)! == (2, 9))
    }

    /// Merge keys are how real manifests use aliases: 2,000 targets merging one defaults mapping.
    @Test func a_large_manifest_with_merge_keys_is_well_inside_the_limit() {
        var text = "version: 1\nx-common: &common {size: 2K, watermark: false, model: doubao-seedream-4-5-251128}\ntargets:\n"
        for i in 0..<2_000 { text += "  t\(i):\n    <<: *common\n    prompt: \"Picture \(i)\"\n" }
        #expect(ManifestLimits.aliasOverflow(in: text) == nil)
        let (manifest, diagnostics) = Self.parse(text)
        #expect(manifest?.targets.count == 2_000, "\(diagnostics.prefix(3))")
    }

    @Test func a_manifest_file_over_the_size_limit_is_refused_without_reading_it_whole() throws {
        let dir = try TestDirectory("limits")
        let path = dir.url("assetbuild.yaml")
        FileManager.default.createFile(atPath: path, contents: Data("version: 1\n".utf8))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(ManifestLimits.maxManifestBytes) + 1)   // sparse
        try handle.close()
        let error = #expect(throws: DiagnosticsError.self) { try ManifestLoader.load(path: path, displayName: "assetbuild.yaml") }
        #expect(error?.diagnostics.first?.message.contains("larger than 16 MB, assetbuild's limit for a manifest") == true)
    }

    @Test func a_manifest_that_never_ends_is_refused_at_the_limit() {
        let error = #expect(throws: DiagnosticsError.self) { try ManifestLoader.load(path: "/dev/zero", displayName: "/dev/zero") }
        #expect(error?.diagnostics.first?.message.contains("larger than 16 MB") == true)
    }

    /// 28 s for a 121 KB manifest before: every unknown reference compared in full with every
    /// 1,000-character name. Now names that long get no suggestion, and the rest is banded.
    @Test func did_you_mean_on_long_names_is_bounded() {
        var text = "version: 1\ntargets:\n"
        let long = { (i: Int) in String(repeating: "n", count: 1_000) + "\(i)" }
        for i in 0..<60 { text += "  \(long(i)):\n    prompt: \"p\"\n    references: [\(long(i + 100))]\n" }
        #expect(text.utf8.count > 120_000)
        let (manifest, diagnostics) = Self.parse(text)
        #expect(manifest == nil)
        #expect(diagnostics.filter { $0.message.hasPrefix("unknown target") }.count == 60)
        #expect(!diagnostics.contains { $0.message.contains("did you mean") })
    }
}

@Suite struct SpellCheckBoundTests {
    @Test func the_banded_distance_agrees_with_the_full_one_within_the_limit() {
        var rng = EngineCorrectBuildTests.SplitMix(state: 14)
        let alphabet = Array("abcde-")
        for _ in 0..<3_000 {
            let a = (0..<Int.random(in: 0...9, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            let b = (0..<Int.random(in: 0...9, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            let full = SpellCheck.distance(String(a), String(b))
            for limit in 0...3 {
                let banded = SpellCheck.distance(Array(String(a).unicodeScalars), Array(String(b).unicodeScalars), limit: limit)
                #expect(banded == (full <= limit ? full : nil), "\(String(a)) \(String(b)) limit \(limit)")
            }
        }
    }

    @Test func suggestions_skip_far_lengths_and_overlong_words() {
        #expect(SpellCheck.suggestion(for: "mascto", in: ["mascot", "m"]) == "mascot")
        #expect(SpellCheck.suggestion(for: "prompt", in: ["promt", "prompts"]) == "promt")   // first of equals
        let long = String(repeating: "a", count: SpellCheck.maxLength + 1)
        #expect(SpellCheck.suggestion(for: long, in: [long]) == nil)
        #expect(SpellCheck.suggestion(for: "abcdefghij", in: ["abcdefghijklmnop"]) == nil)
    }
}
