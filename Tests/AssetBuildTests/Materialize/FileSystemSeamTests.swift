import Foundation
import Testing
@testable import AssetBuildCore

/// The stages that read the user's files and write the build's go through `FileSystem`: proved
/// with a disk in memory that can fail.
@Suite struct FileSystemSeamTests {
    static let manifest = """
        version: 1
        provider: {name: draft}
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
        targets:
          hero:
            prompt: "three heroes"
            images: 3
        """

    static func target(_ dir: TestDirectory, _ name: String) throws -> Target {
        let m = try ManifestLoader.parse(text: manifest, file: "assetbuild.yaml", path: dir.url("assetbuild.yaml"), directory: dir.path)
        return try #require(m.targets.first { $0.name == name })
    }

    @Test func a_write_that_fails_midway_leaves_no_half_file_and_names_the_path() throws {
        let dir = try TestDirectory("seam")
        let cache = try BuildCache.open(directory: URL(fileURLWithPath: dir.url(".assetbuild")), clock: ManualClock())
        let images = try (0..<3).map { i in
            let data = try JPEGCodec.encode(RGBImage(width: 16, height: 16, color: RGBColor(UInt8(60 * i), 20, 20)))
            return ActionImage(index: i, object: try cache.objects.put(data), width: 16, height: 16, byteCount: data.count)
        }
        let fs = InMemoryFileSystem()
        let buildRoot = dir.url("build")
        let hero = try Self.target(dir, "hero")
        fs.failWrites(to: buildRoot + "/" + hero.outputPath(imageNumber: 2), afterBytes: 100)
        let materializer = Materializer(cache: cache, buildRoot: buildRoot, fileSystem: fs)

        let error = #expect(throws: FileSystemError.self) {
            try materializer.materialize(hero, output: TargetOutput(actionKey: "k", images: images), existing: [:])
        }
        #expect(error?.path == buildRoot + "/" + hero.outputPath(imageNumber: 2))
        #expect(error?.description.hasSuffix("No space left on device") == true, "\(String(describing: error))")
        // Image 1 is whole; image 2 is not there at all (no half file, no temporary left); image 3
        // was never written; nothing reached the real disk.
        #expect(fs.paths == [buildRoot + "/" + hero.outputPath(imageNumber: 1)])
        #expect(fs.contents(buildRoot + "/" + hero.outputPath(imageNumber: 1)) == (try cache.objects.read(images[0].object)))
        #expect(fs.temporaryNames.count == 2)
        #expect(!FileManager.default.fileExists(atPath: buildRoot))

        // The disk has room again: the next try writes what is missing and leaves image 1 alone.
        let first = try #require(fs.stat(buildRoot + "/" + hero.outputPath(imageNumber: 1)))
        let existing = [hero.outputPath(imageNumber: 1): MaterializedRecord(
            path: hero.outputPath(imageNumber: 1), target: "hero", object: images[0].object, size: first.size,
            mtimeNs: first.mtimeNs, inode: first.inode)]
        let written = try materializer.materialize(hero, output: TargetOutput(actionKey: "k", images: images), existing: existing)
        #expect(written.map(\.path) == [hero.outputPath(imageNumber: 2), hero.outputPath(imageNumber: 3)])
        #expect(fs.stat(buildRoot + "/" + hero.outputPath(imageNumber: 1)) == first)
    }

    @Test func input_files_read_references_through_the_seam() throws {
        let fs = InMemoryFileSystem()
        let png = try PNGCodec.encode(RGBImage(width: 40, height: 30, color: RGBColor(1, 2, 3)))
        fs.add(png, at: "/project/refs/in.png")
        let files = InputFiles(memo: [:], fileSystem: fs)
        let file = try files.digest("/project/refs/in.png")
        #expect(file.width == 40 && file.height == 30 && file.format == .png)
        #expect(file.sha256 == SHA256.hash(png).hex)
        #expect(fs.reads == ["/project/refs/in.png"])
        #expect(throws: InputFiles.Problem.self) { try files.digest("/project/refs/missing.png") }

        // Known from an earlier build with the same stat: statted, not read.
        let again = InputFiles(memo: ["/project/refs/in.png": try #require(files.newRecords.first)], fileSystem: fs)
        #expect(try again.digest("/project/refs/in.png").sha256 == file.sha256)
        #expect(fs.reads == ["/project/refs/in.png"])
    }

    @Test func the_lock_file_and_build_record_go_through_the_seam() throws {
        let fs = InMemoryFileSystem()
        fs.add(Data("version: 1\ntargets:\n  a:\n    key: k1\n    outputs:\n      - path: a.png\n        sha256: ab\n".utf8),
               at: "/p/assetbuild.lock")
        #expect(LazyLockFile(path: "/p/assetbuild.lock", fileSystem: fs).lockFile.targets["a"]?.key == "k1")
        #expect(try BuildRecord.writeIfChanged(Data("one".utf8), to: "/p/build/assetbuild.json", fileSystem: fs))
        #expect(try !BuildRecord.writeIfChanged(Data("one".utf8), to: "/p/build/assetbuild.json", fileSystem: fs))
        #expect(fs.contents("/p/build/assetbuild.json") == Data("one".utf8))
    }

    @Test func the_noop_stamp_goes_through_the_seam() throws {
        let fs = InMemoryFileSystem()
        fs.add(Data("version: 1\n".utf8), at: "/p/assetbuild.yaml")
        fs.add(Data("x".utf8), at: "/p/.assetbuild/cache.db")
        fs.add(Data("image".utf8), at: "/p/build/a.png")
        let stamp = NoopStamp(manifestPath: "/p/assetbuild.yaml",
                              paths: StatePaths(manifestPath: "/p/assetbuild.yaml", cacheDirectory: "/p/.assetbuild", buildDirectory: "/p/build"),
                              providerOverride: nil, fileSystem: fs)
        try stamp.write(manifestBytes: Data("version: 1\n".utf8), targets: ["a"], files: ["/p/build/a.png"])
        #expect(stamp.checkTargets() == ["a"])
        fs.add(Data("image, edited".utf8), at: "/p/build/a.png")
        #expect(stamp.checkTargets() == nil)
        stamp.remove()
        #expect(!fs.exists("/p/.assetbuild/noop-stamp"))
    }
}
