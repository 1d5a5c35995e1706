import Foundation
import Testing
@testable import AssetBuildCore

/// A mistyped nested subcommand gets the same did-you-mean as a mistyped top-level one.
@Suite struct CLINestedSubcommandTests {
    @Test func a_mistyped_cache_subcommand_gets_a_suggestion() async throws {
        let dir = try TestDirectory("cli-nested")
        for args in [["cache", "stat"], ["-C", dir.path, "cache", "stat"]] {
            let r = try await assetbuild(args, in: dir.path)
            #expect(r.status == 2, "\(r)")
            #expect(r.stderr.contains("error: unknown subcommand 'cache stat'; did you mean 'cache stats'?"), "\(r)")
            #expect(r.stderr.contains("note: cache subcommands: stats, gc, verify"), "\(r)")
        }
        let top = try await assetbuild(["biuld"], in: dir.path)
        #expect(top.status == 2 && top.stderr.contains("unknown subcommand 'biuld'; did you mean 'build'?"), "\(top)")
        // Target names after a leaf subcommand are not subcommands.
        let build = try await assetbuild(["build", "stat"], in: dir.path)
        #expect(!build.stderr.contains("unknown subcommand"), "\(build)")
    }
}
