import Foundation
import Testing
@testable import AssetBuildCore

/// Bad input through the real binary (issue 14, items 4, 16 and 18): exit 2 with a message that
/// says what to do, before anything is generated; never a crash (exit 132).
@Suite("CLI bad input")
struct CLIInputTests {
    static let manifest = """
        version: 1
        provider: {name: draft}
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
        targets:
          poses:
            prompt: "Two poses"
            images: 2
          hero:
            prompt: "A hero"
        """

    /// Objects in the cache: a build that was refused generated none.
    static func objects(_ ws: CLIWorkspace) -> [String] { ws.dir.files(under: ".assetbuild/objects") }

    @Test("the crashes seen (exit 132) are errors with a position: a huge size, references: [\".\"], a huge --max-size")
    func crashesSeen() async throws {
        let size = try CLIWorkspace(manifest: Self.manifest.replacingOccurrences(of: "1280x720", with: "9999999999x9999999999"))
        let r1 = try await size.run(["validate"])
        #expect(r1.status == 2 && r1.stderr.contains("assetbuild.yaml:3:") && r1.stderr.contains("has a side over 65,535 pixels"), "\(r1)")
        let dot = try CLIWorkspace(manifest: Self.manifest + "\n    references: [\".\"]\n")
        let r2 = try await dot.run(["validate"])
        #expect(r2.status == 2 && r2.stderr.contains("reference file '.' is a folder, not a regular file"), "\(r2)")
        let gc = try CLIWorkspace(manifest: Self.manifest)
        let r3 = try await gc.run(["cache", "gc", "--max-size", "99999999999999999999T"])
        #expect(r3.status == 2 && r3.stderr.contains("--max-size must be a size such as 500M or 2G"), "\(r3)")
        let r4 = try await gc.run(["cache", "gc", "--older-than-days=-1"])
        #expect(r4.status == 2 && r4.stderr.contains("--older-than-days must be"), "\(r4)")
        let r5 = try await gc.run(["cache", "gc", "--max-size", "1.5G"])
        #expect(r5.status == 0, "\(r5)")
    }

    @Test("--budget nan, inf or negative, -j out of range, and empty paths are usage errors")
    func badNumbersAndEmptyPaths() async throws {
        let ws = try CLIWorkspace(manifest: Self.manifest)
        for budget in ["nan", "inf", "-1"] {
            let r = try await ws.build(["--budget=\(budget)"])
            #expect(r.status == 2 && r.stderr.contains("--budget must be an amount of 0 or more"), "\(budget): \(r)")
        }
        for jobs in ["0", "100000"] {
            let r = try await ws.build(["-j", jobs])
            #expect(r.status == 2 && r.stderr.contains("-j must be from 1 to 256"), "\(jobs): \(r)")
        }
        for flag in ["--build-dir", "--cache-dir", "-f"] {
            let r = try await ws.build([flag, ""])
            #expect(r.status == 2 && r.stderr.contains("is empty; give a path"), "\(flag): \(r)")
        }
        #expect(Self.objects(ws).isEmpty)
        // An empty ASSETBUILD_CACHE_DIR is no override: the default cache is used.
        let r = try await ws.build([], environment: ["ASSETBUILD_CACHE_DIR": ""])
        #expect(r.status == 0 && !Self.objects(ws).isEmpty, "\(r)")
    }

    @Test("a build directory that is a file, or a file where an output needs a folder, stops the build before it generates")
    func unusableBuildPlaces() async throws {
        let ws = try CLIWorkspace(manifest: Self.manifest)
        try ws.dir.write("not a folder", to: "out")
        let r1 = try await ws.build(["--build-dir", "out"])
        #expect(r1.status == 2 && r1.stderr.contains("is a regular file, not a folder; nothing was sent"), "\(r1)")
        #expect(r1.stderr.contains("choose another with --build-dir DIR"))
        try ws.dir.write("my notes", to: "build/poses")
        let r2 = try await ws.build()
        #expect(r2.status == 2, "\(r2)")
        #expect(r2.stderr.contains("assetbuild.yaml:5:3: error: output 'poses/1.jpeg' needs a folder 'poses' in the build directory, but a file is there"), "\(r2)")
        #expect(try ws.dir.text("build/poses") == "my notes")
        try FileManager.default.createDirectory(atPath: ws.dir.url("build/hero.jpeg"), withIntermediateDirectories: true)
        let r3 = try await ws.build()
        #expect(r3.stderr.contains("output 'hero.jpeg' is a folder in the build directory"), "\(r3)")
        #expect(Self.objects(ws).isEmpty)
    }

    @Test("a reference outside the manifest's folder needs --allow-outside, ASSETBUILD_ALLOW_OUTSIDE=1 or provider.allow_outside")
    func outsideNeedsConsent() async throws {
        let ws = try CLIWorkspace(manifest: "")
        let png = try Data(contentsOf: ManifestSnapshot.fixtures.appendingPathComponent("bad-files/refs/product.png"))
        try ws.dir.write(png, to: "shared/product.png")
        try ws.dir.write(Self.manifest + "\n    references: [../shared/product.png]\n", to: "project/assetbuild.yaml")
        let refused = try await assetbuild(["validate"], in: ws.dir.url("project"))
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains("assetbuild.yaml:10:18: error: reference file '../shared/product.png' is outside the manifest's folder"))
        #expect(refused.stderr.contains("pass --allow-outside (or set ASSETBUILD_ALLOW_OUTSIDE=1), or list its folder under provider.allow_outside"))
        for (args, env) in [(["validate", "--allow-outside"], [:]), (["--allow-outside", "validate"], [:]),
                            (["validate"], ["ASSETBUILD_ALLOW_OUTSIDE": "1"])] as [([String], [String: String])] {
            let r = try await assetbuild(args, in: ws.dir.url("project"), environment: env)
            #expect(r.status == 0, "\(args) \(env): \(r)")
        }
        try ws.dir.edit("project/assetbuild.yaml", replacing: "provider: {name: draft}",
                        with: "provider: {name: draft, allow_outside: [../shared]}")
        let listed = try await assetbuild(["build", "--json"], in: ws.dir.url("project"))
        #expect(listed.status == 0, "\(listed)")
    }
}
