import Foundation
import Testing
@testable import AssetBuildCore

/// Golden files for manifest diagnostics, in argument-parser's `assertSnapshot` manner: the
/// expected text lives beside the fixture as `<name>.expected`; run with `RECORD_SNAPSHOTS=1`
/// to (re)write it, then review the diff.
enum ManifestSnapshot {
    /// `Tests/AssetBuildTests/Fixtures/manifests`.
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/manifests")

    /// The repository root (for `examples/` and `schemas/`).
    static let root = fixtures.deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var isRecording: Bool {
        ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"].map { !$0.isEmpty && $0 != "0" } ?? false
    }

    /// Fixture names (without `.yaml`) in `fixtures/<folder>`, sorted.
    static func names(in folder: String) -> [String] {
        let dir = fixtures.appendingPathComponent(folder)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func text(_ folder: String, _ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent("\(folder)/\(name).yaml"), encoding: .utf8)
    }

    /// Loads manifest text as the CLI does (named `assetbuild.yaml`), then builds its graph; returns
    /// the manifest (nil when it failed) and everything printed about it.
    static func load(_ text: String, directory: String) -> (Manifest?, String) {
        do {
            let manifest = try ManifestLoader.parse(text: text, file: "assetbuild.yaml",
                                                    path: directory + "/assetbuild.yaml", directory: directory)
            do {
                _ = try BuildGraph(manifest: manifest)
            } catch {
                return (nil, error.render(color: false))
            }
            let warnings = manifest.warnings.isEmpty ? "" : manifest.diagnosticsError(manifest.warnings).render(color: false)
            return (manifest, warnings)
        } catch {
            return (nil, error.render(color: false))
        }
    }

    /// Compares `actual` with `<folder>/<name>.expected`, or records it.
    static func assert(_ actual: String, folder: String, name: String,
                       sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        try assert(actual, golden: fixtures.appendingPathComponent("\(folder)/\(name).expected"),
                   sourceLocation: sourceLocation)
    }

    /// Compares `actual` with the golden file at `url` (any file under `Fixtures/`), or records it
    /// (with `RECORD_SNAPSHOTS=1`, or when the file does not exist yet: that run fails once).
    static func assert(_ actual: String, golden url: URL,
                       sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let actual = actual.hasSuffix("\n") ? actual : actual + "\n"
        let expected = try? String(contentsOf: url, encoding: .utf8)
        let name = url.path.replacingOccurrences(of: fixtures.deletingLastPathComponent().path + "/", with: "")
        if isRecording || expected == nil {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            if expected != actual {
                Issue.record("recorded a new snapshot at \(url.path); review it and run again without RECORD_SNAPSHOTS",
                             sourceLocation: sourceLocation)
            }
            return
        }
        if expected != actual {
            Issue.record("snapshot \(name) differs (RECORD_SNAPSHOTS=1 re-records it):\n\(diff(expected!, actual))",
                         sourceLocation: sourceLocation)
        }
    }

    /// A small line diff: `-` expected, `+` actual, with the common lines dropped.
    static func diff(_ expected: String, _ actual: String) -> String {
        let a = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let b = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let d = b.difference(from: a)
        var out: [String] = []
        for change in d {
            switch change {
            case .remove(_, let line, _): out.append("- \(line)")
            case .insert(_, let line, _): out.append("+ \(line)")
            }
        }
        return out.joined(separator: "\n")
    }
}
