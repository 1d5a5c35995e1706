import Foundation
import Testing
@testable import AssetBuildCore

/// A derived target's overlay files are checked before anything runs: a changed file is read
/// once, for its digest and to see that libvips can draw it; a file named by several overlays is
/// read once and each is told.
@Suite struct OverlayCheckTests {
    static let manifest = """
        version: 1
        provider: {name: draft}
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
        targets:
          hero: {prompt: "a red fox"}
          a:
            from: hero
            size: 32x16
            overlays: [{image: logo.png}]
          b:
            from: hero
            size: 16x16
            overlays: [{image: logo.png}]
        """

    static func check(_ dir: TestDirectory, memo: [String: FileDigestRecord] = [:])
        -> (problems: [Diagnostic], logoReads: Int, inputs: InputFiles) {
        let m = try! ManifestLoader.parse(text: manifest, file: "assetbuild.yaml", path: dir.url("assetbuild.yaml"),
                                          directory: dir.path, checkFiles: true)
        let fs = EngineFileSystemTests.RecordingFileSystem()
        let inputs = InputFiles(memo: memo, fileSystem: fs)
        let problems = inputs.check(m)
        return (problems, fs.reads.filter { $0 == dir.url("logo.png") }.count, inputs)
    }

    @Test func a_changed_logo_is_read_once_for_its_digest_and_its_check() throws {
        let dir = try TestDirectory("overlays")
        let logo = try PNGCodec.encode(RGBImage(width: 8, height: 8, color: RGBColor(200, 40, 40)))
        try dir.write(logo, to: "logo.png")
        let (problems, reads, inputs) = Self.check(dir)
        #expect(problems.isEmpty, "\(problems)")
        #expect(reads == 1, "one read for both overlays, the digest and the look")
        #expect(try inputs.contentDigest(dir.url("logo.png")) == SHA256.hash(logo).hex)
        #expect(inputs.newRecords.map(\.path) == [dir.url("logo.png")])

        // Known by stat from an earlier build: read only to look at it.
        let known = Self.check(dir, memo: Dictionary(uniqueKeysWithValues: inputs.newRecords.map { ($0.path, $0) }))
        #expect(known.problems.isEmpty && known.logoReads == 1)
    }

    @Test func a_logo_that_is_not_a_picture_is_reported_at_each_overlay_and_read_once() throws {
        let dir = try TestDirectory("overlays")
        try dir.write("not a picture", to: "logo.png")
        let (problems, reads, _) = Self.check(dir)
        let message = "overlay file 'logo.png' is not a picture libvips can draw; use a PNG (with transparency) or an SVG file"
        #expect(problems.map(\.message) == [message, message])
        #expect(problems.map { $0.location?.line } == [9, 13])
        #expect(reads == 1)
    }
}
