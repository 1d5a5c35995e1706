import Foundation
import Testing
@testable import AssetBuildCore

/// Every `Fixtures/manifests/bad-files/<name>.yaml` fails as `assetbuild validate` fails it: the
/// manifest checks plus its reference files (in `bad-files/refs/`, a few bytes each), with
/// exactly the text in `<name>.expected`. Files too big to commit are made at run time.
@Suite struct ManifestReferenceFileTests {
    static let cases = ManifestSnapshot.names(in: "bad-files")
    static let folder = ManifestSnapshot.fixtures.appendingPathComponent("bad-files").path

    @Test func every_reference_file_limit_has_a_fixture() {
        for name in ["missing-file", "too-small", "pdf-renamed-png", "over-10-mb", "aspect-ratio-beyond-16",
                     "seededit-webp-and-gif", "over-6000x6000", "truncated-png"] {
            #expect(Self.cases.contains(name), "no fixture '\(name)'")
        }
    }

    @Test(arguments: cases)
    func bad_reference_file_is_reported(_ name: String) throws {
        let dir = try Self.workspace()
        let (loaded, output) = Self.validate(try ManifestSnapshot.text("bad-files", name), directory: dir.path)
        #expect(!loaded, "'\(name)' validated without an error")
        #expect(output.contains("error: "), "'\(name)' printed no error")
        try ManifestSnapshot.assert(output, folder: "bad-files", name: name)
    }

    /// An unknown model skips only the checks that need the model's limits.
    @Test func unknown_model_does_not_hide_the_other_errors() throws {
        let dir = try Self.workspace()
        let (_, output) = Self.validate(try ManifestSnapshot.text("bad-files", "unknown-model-keeps-checking"),
                                        directory: dir.path)
        let errors = output.split(separator: "\n").filter { $0.contains(": error: ") }
        #expect(errors.count == 4, "\(output)")
        for part in ["unknown model 'doubao-seedream-9'", "'poses[5]' is out of range", "'refs/prodct.png' not found",
                     "unknown target 'mascto' in deps"] {
            #expect(output.contains(part), "missing: \(part)")
        }
    }

    /// A folder holding a copy of `refs` (the committed files) and `generated/` (made here): the 11 MB PNG is
    /// a header, a hole and an IEND chunk, so it costs no disk.
    static func workspace() throws -> TestDirectory {
        let dir = try TestDirectory("refs")
        // Copied, not linked: a link leading out of the manifest's folder is refused (issue 14).
        for name in try FileManager.default.contentsOfDirectory(atPath: folder + "/refs") {
            try dir.write(try Data(contentsOf: URL(fileURLWithPath: folder + "/refs/" + name)), to: "refs/" + name)
        }
        let head = try Data(contentsOf: URL(fileURLWithPath: folder + "/refs/product.png")).prefix(33)
        let iend: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        try dir.write(head, to: "generated/over-10-mb.png")
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dir.url("generated/over-10-mb.png")))
        try handle.truncate(atOffset: 11 * 1_048_576 - UInt64(iend.count))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(iend))
        try handle.close()
        return dir
    }

    /// What `assetbuild validate` prints: load (with the files of a broken manifest), graph, files.
    static func validate(_ text: String, directory: String) -> (Bool, String) {
        do {
            let manifest = try ManifestLoader.parse(text: text, file: "assetbuild.yaml",
                                                    path: directory + "/assetbuild.yaml", directory: directory,
                                                    checkFiles: true)
            _ = try BuildGraph(manifest: manifest)
            let problems = ManifestLoader.sorted(InputFiles(memo: [:]).check(manifest))
            if problems.isEmpty { return (true, "") }
            return (false, manifest.diagnosticsError(problems).render(color: false))
        } catch {
            return (false, error.render(color: false))
        }
    }
}
