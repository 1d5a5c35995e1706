import Foundation
import Testing
@testable import AssetBuildCore

/// A seeded property test of the manifest loader (issue 14): thousands of manifests mutated from
/// the fixtures and examples go through loading, validation (with reference files), the graph
/// and rendering. None may crash or hang, and every diagnostic has a position inside the file.
/// A failure names its seed and case, so it replays exactly.
@Suite struct ManifestFuzzTests {
    static let seeds: [UInt64] = [1, 2, 3, 4]
    /// `ASSETBUILD_FUZZ_CASES` runs more by hand (CI keeps a few seconds' worth).
    static let casesPerSeed = ProcessInfo.processInfo.environment["ASSETBUILD_FUZZ_CASES"].flatMap { Int($0) } ?? 1_000

    /// Every fixture and example manifest.
    static let corpus: [String] = {
        var texts: [String] = []
        for folder in ["bad", "bad-files", "good"] {
            for name in ManifestSnapshot.names(in: folder) { texts.append((try? ManifestSnapshot.text(folder, name)) ?? "") }
        }
        for example in ["brand-kit", "storybook"] {
            let url = ManifestSnapshot.root.appendingPathComponent("examples/\(example)/assetbuild.yaml")
            texts.append((try? String(contentsOf: url, encoding: .utf8)) ?? "")
        }
        return texts.filter { !$0.isEmpty }
    }()

    /// Pieces that reach the loader's edges: YAML structure, aliases, extreme numbers, paths.
    static let tokens = [
        ": ", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "<<: *a", "\"", "'", "\n  ", "\n", "\t", "#", "? ", "|\n  ", ">-\n  ",
        "${", "${x}", "${story.title}", "}", "9999999999x9999999999", "99999999999999999999999", "-1", "0", "nan", ".inf",
        "1e309", "~", "null", "!!int ", "!!str ", "!!binary ", "..", "/", ".", "./", "/dev/zero", "../../x.png", "refs/product.png",
        "poses[0]", "poses[99999999999999999999]", "mascot", "images: 15", "size: 0x0", "output: a.jpeg/b.jpeg",
        "kind: text", "storybook:", "references: [\".\"]", "é", "\u{202E}", "\u{1B}[2J", "x-", "version: 2", String(repeating: "a", count: 300),
    ]

    static func mutate(_ text: String, using rng: inout some RandomNumberGenerator) -> String {
        var chars = Array(text.unicodeScalars)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let at = chars.isEmpty ? 0 : Int.random(in: 0...chars.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0:   // insert a token
                chars.insert(contentsOf: tokens.randomElement(using: &rng)!.unicodeScalars, at: at)
            case 1:   // delete a span
                let end = min(chars.count, at + Int.random(in: 1...12, using: &rng))
                if at < end { chars.removeSubrange(at..<end) }
            case 2:   // duplicate a span
                let end = min(chars.count, at + Int.random(in: 1...40, using: &rng))
                if at < end { chars.insert(contentsOf: chars[at..<end], at: at) }
            case 3:   // splice a line of another manifest
                let other = corpus.randomElement(using: &rng)!.split(separator: "\n").randomElement(using: &rng) ?? ""
                chars.insert(contentsOf: (String(other) + "\n").unicodeScalars, at: at)
            case 4:   // replace a character
                if at < chars.count { chars[at] = tokens.randomElement(using: &rng)!.unicodeScalars.first ?? " " }
            default:  // move a line
                if let line = lines.randomElement(using: &rng) { chars.insert(contentsOf: (line + "\n").unicodeScalars, at: at) }
            }
        }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: chars)
        return String(out)
    }

    /// Loads `text` as `assetbuild validate` does; returns every diagnostic printed.
    static func validate(_ text: String, directory: String) -> [Diagnostic] {
        do {
            let manifest = try ManifestLoader.parse(text: text, file: "assetbuild.yaml", path: directory + "/assetbuild.yaml",
                                                    directory: directory, checkFiles: true)
            let graph = try BuildGraph(manifest: manifest)
            _ = graph.topologicalOrder
            let problems = InputFiles(memo: [:]).check(manifest)
            _ = manifest.diagnosticsError(problems + manifest.warnings).render(color: true)
            return problems + manifest.warnings
        } catch {
            _ = error.render(color: false)
            return error.diagnostics
        }
    }

    @Test(arguments: seeds)
    func mutated_manifests_never_crash_and_every_diagnostic_is_positioned(seed: UInt64) throws {
        let dir = try ManifestReferenceFileTests.workspace()
        var rng = EngineCorrectBuildTests.SplitMix(state: seed)
        var errors = 0
        for n in 0..<Self.casesPerSeed {
            let text = Self.mutate(Self.corpus.randomElement(using: &rng)!, using: &rng)
            let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
            let diagnostics = Self.validate(text, directory: dir.path)
            errors += diagnostics.filter { $0.severity == .error }.count
            for d in diagnostics {
                guard let at = d.location else {
                    Issue.record("seed \(seed) case \(n): unpositioned diagnostic '\(d.message)'\n\(text)")
                    continue
                }
                #expect(at.file == "assetbuild.yaml" && at.line >= 1 && at.line <= lineCount + 1 && at.column >= 1,
                        "seed \(seed) case \(n): '\(d)' is outside the file\n\(text)")
            }
        }
        #expect(errors > Self.casesPerSeed / 2, "the mutations hardly ever produced an error: they are too weak")
    }

    /// Found by this fuzzer: libyaml's columns count scalars, so on a long line of combining
    /// marks the column lies past the last character, and the excerpt's window started past its end.
    @Test func a_column_past_the_last_character_of_a_long_line_is_rendered() {
        let line = Substring(String(repeating: "e\u{301}", count: 200))
        let (text, column) = Diagnostic.excerpt(line, column: 390)
        #expect(text.hasPrefix("…") && column >= 1)
    }

    /// The real binary on a few dozen mutated manifests: `validate` and `plan` (which send
    /// nothing) and a draft build exit 0, 1 or 2, never by a signal.
    @Test func the_binary_exits_0_1_or_2_on_mutated_manifests() async throws {
        let ws = try CLIWorkspace(manifest: "")
        let png = try Data(contentsOf: ManifestSnapshot.fixtures.appendingPathComponent("bad-files/refs/product.png"))
        try ws.dir.write(png, to: "refs/product.png")
        var rng = EngineCorrectBuildTests.SplitMix(state: 140)
        var seen = Set<Int32>()
        for n in 0..<24 {
            let text = Self.mutate(Self.corpus.randomElement(using: &rng)!, using: &rng)
            try ws.dir.write(text, to: "assetbuild.yaml")
            let command = [["validate"], ["plan"], ["build", "--provider", "draft"]][n % 3]
            let r = try await ws.run(command)
            seen.insert(r.status)
            #expect([0, 1, 2].contains(r.status), "case \(n) \(command): \(r)\n\(text)")
            #expect(!r.stderr.contains("Program crashed"), "case \(n): \(r)")
        }
        #expect(seen.contains(2))
    }
}
