import Foundation
import Testing
@testable import AssetBuildCore

/// Every `Fixtures/manifests/bad/<name>.yaml` must fail to load (or to form a graph) with exactly
/// the text in `<name>.expected`: `file:line:col: error: message`, the source line, a caret, notes.
@Suite struct ManifestDiagnosticsTests {
    static let cases = ManifestSnapshot.names(in: "bad")

    @Test func there_are_enough_bad_manifests() {
        #expect(Self.cases.count >= 40)
    }

    @Test(arguments: cases)
    func bad_manifest_is_reported(_ name: String) throws {
        let text = try ManifestSnapshot.text("bad", name)
        let directory = ManifestSnapshot.fixtures.appendingPathComponent("bad").path
        let (manifest, output) = ManifestSnapshot.load(text, directory: directory)
        #expect(manifest == nil, "'\(name)' loaded without an error")
        #expect(output.contains("error: "), "'\(name)' printed no error")
        #expect(!output.contains("\u{1B}["), "color codes with color: false")
        try ManifestSnapshot.assert(output, folder: "bad", name: name)
    }

    @Test func every_error_is_collected_in_source_order() throws {
        let text = try ManifestSnapshot.text("bad", "three-unrelated-errors")
        let error = #expect(throws: DiagnosticsError.self) {
            try ManifestLoader.parse(text: text, file: "assetbuild.yaml", path: "/m/assetbuild.yaml", directory: "/m")
        }
        let diagnostics = error?.diagnostics ?? []
        #expect(diagnostics.count == 3)
        #expect(diagnostics.allSatisfy { $0.severity == .error })
        let lines = diagnostics.compactMap { $0.location?.line }
        #expect(lines == lines.sorted() && Set(lines).count == 3)
        #expect(diagnostics.map(\.message).map { $0.prefix(12) } == [
            "unknown key ", "size '1K' is", "unknown targ",
        ])
    }

    @Test func color_rendering_marks_severity_and_caret() throws {
        let text = try ManifestSnapshot.text("bad", "unknown-key-promt")
        let error = #expect(throws: DiagnosticsError.self) {
            try ManifestLoader.parse(text: text, file: "assetbuild.yaml", path: "/m/assetbuild.yaml", directory: "/m")
        }
        let colored = error?.render(color: true) ?? ""
        #expect(colored.contains("\u{1B}[1;31merror:"))
        #expect(colored.contains("\u{1B}[1;32m^"))
    }
}
