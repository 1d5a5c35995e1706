@testable import AssetBuildCore
import Foundation
import Testing

/// `assetbuild.lock` reads back what the build record wrote, scalars exactly as written.
@Suite struct LockFileTests {
    func roundTrip(_ text: String) throws -> LockFile {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("assetbuild-lock-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("assetbuild.lock").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return LockFile.read(path)
    }

    @Test func what_the_record_writes_reads_back_digests_that_look_like_numbers_included() throws {
        // All digits but one 'e': a YAML 1.1/1.2 float if a resolver were allowed to type it.
        let numeric = "1234567890123456789012345678901234567890123456789012345678901e10"
        let text = """
            # assetbuild.lock: written by assetbuild; commit it, do not edit it.
            version: 1
            targets:
              hero:
                key: 00aa
                outputs:
                  - path: public/img/hero.jpeg
                    sha256: \(numeric)
              poses:
                key: 0e12
                outputs:
                  - path: poses/1.jpeg
                    sha256: ab
                  - path: poses/2.jpeg
                    sha256: cd
            pins:
              "https://example.com/a.png?x=1&y=2": 0123

            """
        let lock = try roundTrip(text)
        #expect(lock.targets["hero"] == LockFile.Entry(key: "00aa", outputs: [("public/img/hero.jpeg", numeric)]))
        #expect(lock.targets["poses"] == LockFile.Entry(key: "0e12", outputs: [("poses/1.jpeg", "ab"), ("poses/2.jpeg", "cd")]))
        #expect(lock.pins == ["https://example.com/a.png?x=1&y=2": "0123"])
    }

    @Test func any_yaml_layout_reads_and_a_broken_file_reads_as_empty() throws {
        let flow = try roundTrip("targets: {logo: {key: k1, outputs: [{path: logo.jpeg, sha256: s1}]}}\n")
        #expect(flow.targets["logo"] == LockFile.Entry(key: "k1", outputs: [("logo.jpeg", "s1")]))
        #expect(try roundTrip("targets: [unclosed\n").targets.isEmpty)
        #expect(LockFile.read("/nonexistent/assetbuild.lock").targets.isEmpty)
    }
}
