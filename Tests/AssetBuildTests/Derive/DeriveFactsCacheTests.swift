import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore
@testable import AssetBuildDerive
@testable import AssetBuildDeriveWorker

/// libvips' version and the fonts' files are kept in the state folder while the files that decide
/// them (the worker binary, its libraries, fontconfig's configuration and font directories) are
/// unchanged: a second plan does not start the worker; a changed binary, font directory, font
/// name or environment asks again; the no-op stamp covers the same files.
@Suite struct DeriveFactsCacheTests {
    /// libvips in process for fonts and pixels, with a stand-in worker binary and font state
    /// (files in the test's folder), counting every question.
    final class CountingToolchain: DeriveToolchain {
        let binary: String
        let state: [String]
        let questions = Mutex<[String]>([])
        let inner = InProcessDeriveToolchain()

        init(binary: String, state: [String]) {
            self.binary = binary
            self.state = state
        }

        var asked: [String] { questions.withLock { $0 } }
        func reset() { questions.withLock { $0 = [] } }

        func executable() -> String? { binary }
        func stateFiles() async throws(DeriveError) -> [String] {
            questions.withLock { $0.append("state") }
            return state
        }
        func version() async throws(DeriveError) -> String {
            questions.withLock { $0.append("version") }
            return try await inner.version()
        }
        func resolveFont(_ name: String) async throws(DeriveError) -> ResolvedFont {
            questions.withLock { $0.append("font \(name)") }
            return try await inner.resolveFont(name)
        }
        func derive(_ source: Data, spec: DeriveSpec) async throws(DeriveError) -> DerivedImage {
            try await inner.derive(source, spec: spec)
        }
    }

    /// A variant and a derived target with a text overlay in "DejaVu Sans".
    static let manifest = DeriveKeyFactsTests.manifest

    /// A fixture whose toolchain's binary is `tools/assetbuild-vips` and whose font state is the
    /// folder `fonts/` and the file `fonts.conf`.
    /// The folder is returned so that the test keeps it (it is removed when released).
    static func fixture(_ manifest: String = manifest) throws -> (EngineFixture, CountingToolchain, TestDirectory) {
        let dir = try TestDirectory("derive-facts-tools")
        try dir.write("binary 1", to: "tools/assetbuild-vips")
        try dir.write("<fontconfig/>", to: "fonts.conf")
        try dir.write("font", to: "fonts/a.ttf")
        let toolchain = CountingToolchain(binary: dir.url("tools/assetbuild-vips"), state: [dir.url("fonts.conf"), dir.url("fonts")])
        return (try EngineFixture(manifest, derive: toolchain), toolchain, dir)
    }

    @Test func a_second_plan_asks_nothing_and_a_changed_binary_or_font_folder_asks_again() async throws {
        let (f, toolchain, tools) = try Self.fixture()
        let first = try await f.plan()
        #expect(toolchain.asked == ["state", "version", "font DejaVu Sans"])
        let entry = try JSONSerialization.jsonObject(with: try f.dir.read(".assetbuild/derive-facts.json")) as? [String: Any]
        #expect(entry?["files"] as? [String] == [tools.url("tools/assetbuild-vips"), tools.url("fonts.conf"), tools.url("fonts")])

        toolchain.reset()
        let second = try await f.plan()
        #expect(toolchain.asked == [], "the facts come from the state folder")
        #expect(second.mapValues(\.fingerprint?.key) == first.mapValues(\.fingerprint?.key))

        // A rebuilt worker (another size and mtime) asks again.
        try tools.write("binary 2, rebuilt", to: "tools/assetbuild-vips")
        _ = try await f.plan()
        #expect(toolchain.asked == ["state", "version", "font DejaVu Sans"])
        toolchain.reset()
        _ = try await f.plan()
        #expect(toolchain.asked == [])

        // A font installed (its folder's mtime moves, as fontconfig checks) asks again.
        try tools.write("font", to: "fonts/b.ttf")
        _ = try await f.plan()
        #expect(toolchain.asked == ["state", "version", "font DejaVu Sans"])
        toolchain.reset()
        // So does an edited configuration file.
        try tools.write("<fontconfig><dir>/somewhere</dir></fontconfig>", to: "fonts.conf")
        _ = try await f.plan()
        #expect(toolchain.asked == ["state", "version", "font DejaVu Sans"])
    }

    @Test func a_font_name_not_asked_before_asks_again_and_is_kept_beside_the_others() async throws {
        let (f, toolchain, tools) = try Self.fixture()
        defer { withExtendedLifetime(tools) {} }
        _ = try await f.plan()
        try f.edit("font: \"DejaVu Sans\"", "font: \"DejaVu Sans Bold\"")
        toolchain.reset()
        _ = try await f.plan()
        #expect(toolchain.asked == ["state", "version", "font DejaVu Sans Bold"])
        // Both names are known now: going back asks nothing.
        try f.edit("font: \"DejaVu Sans Bold\"", "font: \"DejaVu Sans\"")
        toolchain.reset()
        _ = try await f.plan()
        #expect(toolchain.asked == [])
    }

    @Test func an_unknown_font_is_never_kept_and_a_build_without_fonts_asks_only_the_version() async throws {
        let (f, toolchain, tools) = try Self.fixture()
        defer { withExtendedLifetime(tools) {} }
        try f.edit("font: \"DejaVu Sans\"", "font: \"DejaVu Sanz\"")
        for _ in 0..<2 {
            toolchain.reset()
            await #expect(throws: DiagnosticsError.self) { try await f.plan() }
            #expect(toolchain.asked == ["state", "version", "font DejaVu Sanz"])
        }
        #expect(!f.dir.exists(".assetbuild/derive-facts.json"))
        let (g, plain, gTools) = try Self.fixture("""
            version: 1
            provider: {name: draft}
            defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
            targets:
              hero: {prompt: "a red fox", variants: {sq: {size: 8x8, format: png}}}
            """)
        _ = try await g.plan()
        #expect(plain.asked == ["state", "version"])
        plain.reset()
        _ = try await g.plan()
        #expect(plain.asked == [])
        withExtendedLifetime(gTools) {}
    }

    @Test func another_environment_or_another_worker_path_asks_again() throws {
        let dir = try TestDirectory("derive-facts-env")
        try dir.write("bin", to: "w")
        let facts = DeriveFacts(vipsVersion: "8.0", fonts: ["A": ResolvedFont(family: "A", file: "/a.ttf")], stateFiles: [dir.url("w")])
        let home = DeriveFactsCache(path: dir.url("facts.json"), environment: ["HOME": "/home/a", "TERM": "xterm"])
        home.store(facts, executable: dir.url("w"), stats: home.stats([dir.url("w")]))
        #expect(home.lookup(executable: dir.url("w"), fonts: ["A"]) == facts)
        // Variables that do not change what libvips answers do not matter.
        #expect(DeriveFactsCache(path: home.path, environment: ["HOME": "/home/a", "TERM": "dumb"])
            .lookup(executable: dir.url("w"), fonts: ["A"]) == facts)
        #expect(DeriveFactsCache(path: home.path, environment: ["HOME": "/home/b"]).lookup(executable: dir.url("w"), fonts: []) == nil)
        #expect(DeriveFactsCache(path: home.path, environment: ["HOME": "/home/a", "FONTCONFIG_FILE": "/x.conf"])
            .lookup(executable: dir.url("w"), fonts: []) == nil)
        #expect(home.lookup(executable: dir.url("other"), fonts: []) == nil)
        #expect(home.lookup(executable: dir.url("w"), fonts: ["B"]) == nil)
    }

    @Test func the_no_op_stamp_covers_the_worker_and_the_font_state() async throws {
        let (f, toolchain, tools) = try Self.fixture()
        try await f.build()
        let stamp = try f.engine().workspace.noopStamp(providerOverride: nil)
        #expect(stamp.check() == 3)

        try tools.write("binary 2, an upgrade", to: "tools/assetbuild-vips")
        #expect(stamp.check() == nil, "a new worker binary takes the full path")
        toolchain.reset()
        try await f.build()
        #expect(toolchain.asked == ["state", "version", "font DejaVu Sans"])
        #expect(stamp.check() == 3)

        try tools.write("font", to: "fonts/new.ttf")
        #expect(stamp.check() == nil, "a font installed takes the full path")
        try await f.build()
        #expect(stamp.check() == 3)
        try tools.write("<fontconfig><dir>/more</dir></fontconfig>", to: "fonts.conf")
        #expect(stamp.check() == nil, "an edited fontconfig file takes the full path")
    }

    @Test func without_derived_targets_the_stamp_holds_whatever_the_fonts_do() async throws {
        let (f, _, tools) = try Self.fixture("""
            version: 1
            provider: {name: draft}
            defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
            targets:
              hero: {prompt: "a red fox"}
            """)
        try await f.build()
        let stamp = try f.engine().workspace.noopStamp(providerOverride: nil)
        #expect(stamp.check() == 1)
        try tools.write("binary 2", to: "tools/assetbuild-vips")
        try tools.write("font", to: "fonts/new.ttf")
        #expect(stamp.check() == 1)
    }
}

/// The real worker: what it lists, and that a second plan through it starts no worker.
@Suite(.timeLimit(.minutes(2))) struct DeriveFactsWorkerTests {
    @Test func the_worker_lists_its_libraries_and_fontconfigs_files() async throws {
        let client = VipsWorkerClient(executable: try WorkerFixtures.binary())
        let files = try await client.stateFiles()
        await client.shutdown()
        #expect(files == (try DeriveStateFiles.list()), "the worker's list is the one libvips in process gives")
        #expect(files.contains { $0.contains("/libvips.so") }, "\(files)")
        #expect(files.contains { $0.contains("/libfontconfig.so") }, "\(files)")
        #expect(files.contains("/etc/fonts/fonts.conf"), "\(files)")
        // The folder of the font that the benchmark's and examples' text uses.
        let font = try DeriveFonts.resolve("DejaVu Sans Bold").file
        #expect(files.contains(URL(fileURLWithPath: font).deletingLastPathComponent().path), "\(files)")
    }

    @Test func a_second_plan_starts_no_worker() async throws {
        let starts = Mutex(0)
        let client = VipsWorkerClient(executable: try WorkerFixtures.binary(), observer: { event in
            if case .started = event { starts.withLock { $0 += 1 } }
        })
        let f = try EngineFixture(DeriveFactsCacheTests.manifest, derive: client)
        let first = try await f.plan()
        #expect(starts.withLock { $0 } == 1)
        #expect(client.workerPID == nil, "the plan stopped the worker it started")
        let second = try await f.plan()
        #expect(starts.withLock { $0 } == 1, "the second plan knew the facts")
        #expect(second.mapValues(\.fingerprint?.key) == first.mapValues(\.fingerprint?.key))
        try await f.build()
        #expect(starts.withLock { $0 } == 2, "deriving starts it")
    }
}
