import Foundation
import Testing
@testable import AssetBuildCore

/// What a reference or text file is, checked with `stat` before a byte is read (issue 14, items
/// 4, 16, 17, 19): files outside the manifest's folder need the user's consent, a 3 GB file is
/// refused by its size, and a FIFO or device is named as what it is.
@Suite struct InputFilesTests {
    static func check(_ text: String, in dir: TestDirectory, allowOutside: Bool = false) -> [Diagnostic] {
        do {
            let m = try ManifestLoader.parse(text: text, file: "assetbuild.yaml", path: dir.url("assetbuild.yaml"),
                                             directory: dir.path, checkFiles: true, allowOutside: allowOutside)
            return InputFiles(memo: [:]).check(m)
        } catch {
            return error.diagnostics
        }
    }

    static func manifest(_ reference: String) -> String {
        "version: 1\ntargets:\n  hero:\n    prompt: \"image 1\"\n    references: [\"\(reference)\"]\n"
    }

    @Test func a_3_gb_reference_is_refused_by_its_size_without_being_read() throws {
        let dir = try TestDirectory("inputs")
        let path = dir.url("refs/huge.png")
        try dir.write(Data([0x89, 0x50, 0x4E, 0x47]), to: "refs/huge.png")
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 3 << 30)   // sparse: no disk, and reading it would take 3 GB
        try handle.close()
        let problems = Self.check(Self.manifest("refs/huge.png"), in: dir)
        #expect(problems.map(\.message) == ["reference 'refs/huge.png' is 3072.0 MB; the service takes at most 10 MB; recompress or scale it down"])
    }

    @Test func a_fifo_or_a_device_is_not_a_regular_file() throws {
        let dir = try TestDirectory("inputs")
        try FileManager.default.createDirectory(atPath: dir.url("refs"), withIntermediateDirectories: true)
        #expect(mkfifo(dir.url("refs/pipe.png"), 0o600) == 0)
        let fifo = Self.check(Self.manifest("refs/pipe.png"), in: dir)
        #expect(fifo.map(\.message) == ["reference file 'refs/pipe.png' is a FIFO (named pipe), not a regular file; references must be image files"])
        let zero = Self.check(Self.manifest("/dev/zero"), in: dir, allowOutside: true)
        #expect(zero.map(\.message) == ["reference file '/dev/zero' is a character device, not a regular file; references must be image files"])
    }

    @Test func a_system_file_that_is_a_device_or_too_big_is_refused_by_name() throws {
        let dir = try TestDirectory("inputs")
        try dir.write(String(repeating: "x", count: ManifestLimits.maxTextFileBytes + 1), to: "big.txt")
        for (file, expected) in [("/dev/zero", "is a character device, not a regular file"),
                                 ("big.txt", "is larger than 4 MB, assetbuild's limit for a text file named in the manifest")] {
            let text = "version: 1\ntargets:\n  story:\n    kind: text\n    prompt: \"A story\"\n    system_file: \(file)\n"
            let problems = Self.check(text, in: dir, allowOutside: true)
            #expect(problems.count == 1 && problems[0].message.contains(expected), "\(problems)")
        }
    }

    @Test func a_symbolic_link_leaving_the_folder_is_refused_and_consent_lets_it_through() throws {
        let outside = try TestDirectory("outside")
        try outside.write(try Data(contentsOf: ManifestSnapshot.fixtures.appendingPathComponent("bad-files/refs/product.png")),
                          to: "product.png")
        let dir = try TestDirectory("inputs")
        try FileManager.default.createSymbolicLink(atPath: dir.url("shared"), withDestinationPath: outside.path)
        let refused = Self.check(Self.manifest("shared/product.png"), in: dir)
        #expect(refused.count == 1)
        #expect(refused.first?.message == "reference file 'shared/product.png' leads outside the manifest's folder through a symbolic link; local files stay local unless you allow it")
        #expect(refused.first?.notes == ["to allow it, pass --allow-outside (or set ASSETBUILD_ALLOW_OUTSIDE=1), or list its folder under provider.allow_outside"])
        #expect(Self.check(Self.manifest("shared/product.png"), in: dir, allowOutside: true).isEmpty)
        // The manifest's own list, with the real folder the link leads to.
        let listed = Self.manifest("shared/product.png").replacingOccurrences(
            of: "targets:", with: "provider:\n  allow_outside: [\(outside.path)]\ntargets:")
        #expect(Self.check(listed, in: dir).isEmpty)
        // A link inside the folder to a file inside it is fine.
        try FileManager.default.createSymbolicLink(atPath: dir.url("local.png"), withDestinationPath: dir.url("x"))
        try dir.write(try outside.read("product.png"), to: "x")
        #expect(Self.check(Self.manifest("local.png"), in: dir).isEmpty)
    }

    @Test func the_environment_gives_consent_with_1_true_or_yes() {
        #expect(LocalFilePolicy.allowed(by: ["ASSETBUILD_ALLOW_OUTSIDE": "1"]))
        #expect(LocalFilePolicy.allowed(by: ["ASSETBUILD_ALLOW_OUTSIDE": "YES"]))
        #expect(!LocalFilePolicy.allowed(by: ["ASSETBUILD_ALLOW_OUTSIDE": "0"]))
        #expect(!LocalFilePolicy.allowed(by: [:]))
    }

    /// Foundation's `deletingLastPathComponent` traps on `.` and `./` (exit 132 for `references: ["."]`).
    @Test func path_helpers_take_dot_slash_and_empty() {
        let cases: [(String, String, String)] = [
            (".", "", "."), ("./", "", "."), ("..", "", ".."), ("/", "/", "/"), ("", "", ""), ("//", "/", "/"),
            ("a", "", "a"), ("a/", "", "a"), ("a/.", "a", "."), ("/a", "/", "a"), ("a//b", "a", "b"), ("refs/p.png", "refs", "p.png"),
        ]
        for (path, parent, last) in cases {
            #expect(FileOps.parent(of: path) == parent, "parent of '\(path)'")
            #expect(FileOps.lastComponent(of: path) == last, "last component of '\(path)'")
        }
        #expect(FileOps.normalized("/a/./b/../../..//c") == "/c")
        #expect(FileOps.isInside("/a/b", folder: "/a") && !FileOps.isInside("/ab", folder: "/a") && FileOps.isInside("/x", folder: "/"))
    }

    /// A TIFF header may claim 2³² × 2³² pixels: the product is checked, not trapped.
    @Test func pixel_counts_of_huge_headers_do_not_overflow() {
        let f = InputFile(path: "x.tiff", sha256: "", size: 100, format: .tiff, width: 1 << 32, height: 1 << 32)
        let problems = InputFiles.limits(f, label: "x.tiff", model: nil, at: SourceLocation(file: "m", line: 1, column: 1))
        #expect(problems.contains { $0.message.contains("\(Int.max) pixels") })
        #expect(SizeSpec.parsePixels("65535x65535")! == (65_535, 65_535))
        #expect(SizeSpec.parsePixels("65536x2") == nil && SizeSpec.isOversized("65536x2") && !SizeSpec.isOversized("0x2"))
    }
}

/// Messages that misled (issue 14, item 19).
@Suite struct InputMessageTests {
    /// A group cut short quotes the provider's error, which already names the target.
    @Test func the_target_is_named_once() {
        #expect(InputError(target: "poses", message: "poses: answer cut short: eof").description == "poses: answer cut short: eof")
        #expect(InputError(target: "poses", message: "2 of 4 images arrived").description == "poses: 2 of 4 images arrived")
    }
}
