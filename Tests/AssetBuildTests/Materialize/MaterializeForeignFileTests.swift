import Foundation
import Testing
@testable import AssetBuildCore

/// DESIGN §2: files in the build directory that assetbuild did not write are never touched, not
/// by a build whose target newly declares their path, and not by `clean`.
@Suite struct MaterializeForeignFileTests {
    static let manifest = """
        version: 1
        provider: {name: draft}
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
        targets:
          logo:
            prompt: "a logo"
          hero:
            prompt: "the logo from image 1 on a hero banner"
            references: [logo]
          other:
            prompt: "unrelated"
        """

    @Test func a_build_refuses_to_overwrite_a_file_it_did_not_write() async throws {
        let f = try EngineFixture(Self.manifest)
        try f.dir.write("the user's own logo", to: "build/logo.jpeg")
        let failure = await #expect(throws: BuildFailed.self) { try await f.build(keepGoing: true) }
        let message = failure?.failures.joined(separator: "\n") ?? ""
        #expect(message.contains("'build/logo.jpeg' exists and was not written by assetbuild, so it is left untouched; move or delete it, or give 'logo' an 'output:' elsewhere; nothing was sent for this target"),
                "\(message)")
        #expect(!f.provider.actionsRan.contains("logo"), "refused before paying, not after")
        #expect(try f.dir.text("build/logo.jpeg") == "the user's own logo")
        #expect(f.dir.exists("build/other.jpeg"))
        #expect(!f.dir.exists("build/hero.jpeg"), "hero depends on the failed logo")

        // Moved away: the next build makes it.
        try f.dir.remove("build/logo.jpeg")
        let ran = try await f.build()
        #expect(ran == ["logo", "hero"])
        #expect(f.dir.exists("build/logo.jpeg") && f.dir.exists("build/hero.jpeg"))
    }

    @Test func a_file_newly_declared_by_output_is_refused_too() async throws {
        let f = try EngineFixture(Self.manifest)
        try await f.build()
        try f.dir.write("notes", to: "build/notes.jpeg")
        try f.dir.edit("assetbuild.yaml", replacing: "    prompt: \"unrelated\"", with: "    prompt: \"unrelated\"\n    output: notes.jpeg")
        let failure = await #expect(throws: BuildFailed.self) { try await f.build() }
        #expect(failure?.failures.first?.contains("change 'output:' of 'other'") == true, "\(failure?.failures ?? [])")
        #expect(try f.dir.text("build/notes.jpeg") == "notes")
    }

    @Test func a_file_that_already_holds_the_output_is_adopted() async throws {
        let f = try EngineFixture(Self.manifest)
        try await f.build()
        let bytes = try f.dir.read("build/other.jpeg")
        // The cache forgets what it wrote (a build killed before it recorded the file).
        try f.dir.remove(".assetbuild")
        try await f.build()
        #expect(try f.dir.read("build/other.jpeg") == bytes)
    }

    @Test func clean_leaves_the_users_file_and_removes_the_gallery() async throws {
        let ws = try CLIWorkspace(manifest: Self.manifest)
        try ws.dir.write("the user's own logo", to: "build/logo.jpeg")
        let build = try await ws.build(["-k"])
        #expect(build.status == 1, "\(build)")
        #expect(build.stderr.contains("'build/logo.jpeg' exists and was not written by assetbuild"), "\(build)")
        let gallery = try await ws.run(["gallery"])
        #expect(gallery.status == 0 && ws.dir.exists("build/gallery.html"), "\(gallery)")
        try ws.dir.write("<html><title>my page</title></html>", to: "build/mine.html")

        let clean = try await ws.run(["clean"])
        #expect(clean.status == 0, "\(clean)")
        #expect(ws.dir.files(under: "build") == ["logo.jpeg", "mine.html"])
        #expect(try ws.dir.text("build/logo.jpeg") == "the user's own logo")
    }
}
