import Foundation
import Testing
@testable import AssetBuildCore

/// The manifest's folder is resolved once (`allow(_:directory:)`), not for every file checked
/// against it: the answers must be those of resolving it each time.
@Suite struct LocalFilePolicyTests {
    @Test func a_manifest_in_a_linked_folder_reads_its_own_files_and_nothing_beside_the_link() throws {
        let real = try TestDirectory("policy-real")
        try real.write("x", to: "project/refs/a.png")
        try real.write("x", to: "secret.png")
        let links = try TestDirectory("policy-links")
        try FileManager.default.createSymbolicLink(atPath: links.url("project"), withDestinationPath: real.url("project"))
        let folder = links.url("project")
        var policy = LocalFilePolicy()
        policy.allow([], directory: folder)
        #expect(policy.refusal("refs/a.png", directory: folder, what: "reference file") == nil)
        #expect(policy.refusal(real.url("project/refs/a.png"), directory: folder, what: "reference file") == nil)
        #expect(policy.refusal("../secret.png", directory: folder, what: "reference file")?.message
            == "reference file '../secret.png' is outside the manifest's folder; local files stay local unless you allow it")
    }

    @Test func another_folder_is_resolved_as_it_is_not_as_the_manifests() throws {
        let manifest = try TestDirectory("policy-manifest")
        let other = try TestDirectory("policy-other")
        try other.write("x", to: "b.png")
        var policy = LocalFilePolicy()
        policy.allow([], directory: manifest.path)
        #expect(policy.refusal("b.png", directory: other.path, what: "reference file") == nil)
        #expect(policy.refusal(other.url("b.png"), directory: manifest.path, what: "reference file")?.message
            == "reference file '\(other.url("b.png"))' is an absolute path outside the manifest's folder; local files stay local unless you allow it")
    }
}
