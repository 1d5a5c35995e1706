import Foundation
import Testing
@testable import AssetBuildCore

/// Issue 14 item 11: one `ASSETBUILD_CACHE_DIR` serving two projects that both have a target
/// called `hero`. Each keeps its own state, and `cache gc` in one keeps what the other needs.
@Suite("CLI shared cache")
struct CLISharedCacheTests {
    static func manifest(_ prompt: String, other: String) -> String {
        """
        version: 1
        provider: {name: draft}
        defaults: {model: doubao-seedream-4-0-250828, size: 1024x1024}
        targets:
          hero: {prompt: "\(prompt)"}
          \(other): {prompt: "Something only this project has: \(other)"}

        """
    }

    @Test("two projects with a target of the same name on one cache neither overwrite nor collect each other")
    func twoProjectsShareOneCache() async throws {
        let shared = try TestDirectory("shared-cache")
        let env = ["ASSETBUILD_CACHE_DIR": shared.path]
        let a = try CLIWorkspace(manifest: Self.manifest("A red kite over a field", other: "only-a"))
        let b = try CLIWorkspace(manifest: Self.manifest("A blue boat on a lake", other: "only-b"))

        for ws in [a, b] {
            let r = try await ws.build(["--json"], environment: env)
            #expect(r.status == 0 && r.requests == 2, "\(r)")
        }
        // A's hero is still A's: up to date, not "prompt changed" against B's.
        let statusA = try await a.run(["status", "--check", "--provider", "draft"], environment: env)
        #expect(statusA.status == 0, "\(statusA)")
        let againA = try await a.build(["--json"], environment: env)
        #expect(try againA.status == 0 && againA.requests == 0 && againA.summary("up_to_date") == 2, "\(againA)")

        // gc in A, even by age (everything is older than 0 days), keeps B's images.
        let gc = try await a.run(["cache", "gc", "--older-than-days", "0"], environment: env)
        #expect(gc.status == 0, "\(gc)")
        #expect(gc.stdout.hasPrefix("removed 0 action(s) and 0 object(s)"), "\(gc)")
        let cleanB = try await b.run(["clean"], environment: env)
        #expect(cleanB.status == 0, "\(cleanB)")
        let rebuiltB = try await b.build(["--json"], environment: env)
        #expect(rebuiltB.status == 0 && rebuiltB.requests == 0, "B paid again after gc in A: \(rebuiltB)")
        let statusB = try await b.run(["status", "--check", "--provider", "draft"], environment: env)
        #expect(statusB.status == 0, "\(statusB)")
    }
}
