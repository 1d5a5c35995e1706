import Foundation
import Testing
@testable import AssetBuildCore

/// A build's settings are decided once, in its `BuildContext`, from the provider's own
/// `isFree` (never from its name) and the options over the manifest.
@Suite struct BuildContextTests {
    static let manifest = """
        version: 1
        provider: {name: draft, concurrency: 3, budget: 5, prices: {doubao-seedream-4-0-250828: 0.04}}
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
        targets:
          a: {prompt: "Two images of a fox", images: 2}
          b: {prompt: "One bird"}

        """

    func context(_ provider: any ImageProvider & TextProvider, _ options: BuildOptions = BuildOptions()) throws -> BuildContext {
        let dir = try TestDirectory("context")
        try dir.write(Self.manifest, to: "assetbuild.yaml")
        let workspace = try Workspace(manifest: try ManifestLoader.load(path: dir.url("assetbuild.yaml")))
        return BuildContext(workspace: workspace, images: provider, text: provider, clock: ManualClock(), fileSystem: LocalFileSystem(),
                            reporter: RecordingReporter(), kinds: .standard, options: options)
    }

    @Test func free_or_paid_comes_from_the_provider_itself() throws {
        #expect(try context(DraftProvider()).isFree)
        // A paid provider may be called anything; a free one must say so.
        #expect(try !context(RecordingProvider(name: "ark")).isFree)
        #expect(try context(RecordingProvider(name: "draft")).isFree)
        let paid = try context(RecordingProvider(name: "ark"))
        #expect(paid.price("doubao-seedream-4-0-250828") == 0.04 && paid.planBudget == 5)
        let free = try context(DraftProvider())
        #expect(free.price("doubao-seedream-4-0-250828") == 0 && free.planBudget == nil)
    }

    @Test func options_win_over_the_manifest_once() throws {
        let defaults = try context(DraftProvider())
        #expect(defaults.budget == 5 && defaults.concurrency == 3 && defaults.stopOnFailure)
        var options = BuildOptions()
        options.budget = 0.5
        options.jobs = 7
        options.keepGoing = true
        let given = try context(DraftProvider(), options)
        #expect(given.budget == 0.5 && given.concurrency == 7 && !given.stopOnFailure)
        #expect(given.paths.lockFile == given.manifest.directory + "/assetbuild.lock")
        #expect(given.paths.buildRecord == given.workspace.buildRoot + "/assetbuild.json")
        #expect(given.paths.noopStamp == given.workspace.cacheDirectory.path + "/noop-stamp")
    }

    /// The plan (3 images at $0.04) is over a $0.10 budget: a paid provider refuses before
    /// sending anything; the draft, which costs nothing, builds.
    @Test func a_paid_provider_is_held_to_the_budget_and_the_draft_is_not() async throws {
        for (name, refused) in [("ark", true), ("draft", false)] {
            let f = try EngineFixture(Self.manifest)
            let provider = RecordingProvider(name: name)
            let manifest = try ManifestLoader.load(path: f.dir.url("assetbuild.yaml"))
            let engine = BuildEngine(workspace: try Workspace(manifest: manifest), images: provider, text: provider,
                                     reporter: f.reporter)
            var options = BuildOptions()
            options.budget = 0.10
            do {
                let summary = try await engine.build(options)
                #expect(!refused, "\(name) should have been refused")
                #expect(summary.built == 2 && summary.spend == 0)
                #expect(provider.actionsRan.sorted() == ["a", "b"])
            } catch let error as DiagnosticsError {
                #expect(refused, "\(name): \(error)")
                #expect("\(error)".contains("the plan's estimated cost is $0.12, over the budget of $0.10; nothing was sent"))
                #expect(provider.actionsRan.isEmpty)
            }
        }
    }
}
