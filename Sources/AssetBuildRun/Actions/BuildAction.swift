import Foundation
import AssetBuildSupport
import AssetBuildDeriveSpec
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders
/// A kind of action as the run layer sees it: what the planner sees (`PlannedAction`), plus how it
/// runs. `ImageAction`, `TextAction`, `BookAction` and `DeriveAction` are the kinds assetbuild has; adding one is
/// adding a type that conforms, and a line in `ActionRegistry.standard`.
package protocol BuildAction: PlannedAction {
    /// Runs the action for `plan`, whose inputs are `resolved`, recording the outcome in the cache.
    func run(_ plan: TargetPlan, resolved: ResolvedAction, in env: ActionEnvironment) async throws -> ActionResult
}

/// How an action ended.
package struct ActionResult: Sendable {
    package var output: TargetOutput
    /// Set when fewer images arrived than `min_images`: the target fails, what arrived is kept.
    package var shortfall: String?

    /// Memberwise, spelled out so the other targets of the package can call it.
    package init(output: TargetOutput, shortfall: String? = nil) {
        self.output = output
        self.shortfall = shortfall
    }
}

/// What an action runs with: the cache, the providers, the one admission path for requests, and
/// the build's counters. Made once per build by `BuildRun` from the build's context.
package struct ActionEnvironment: Sendable {
    package var cache: BuildCache
    package var images: any ImageProvider
    package var text: any TextProvider
    /// Every request goes out through it: gate, budget, retries.
    package var admission: RequestAdmission
    package var reporter: any BuildReporter
    package var stats: BuildStats
    package var spend: SpendMeter
    package var paths: StatePaths
    /// Reference files and saved replies are read and written through it.
    package var fileSystem: any FileSystem
    /// Derived targets' pixels are made through it (nil when libvips cannot be reached).
    package var derive: (any DeriveToolchain)? = nil
    /// Derivations in flight in the whole build (a source image is read only once one of these
    /// is held, so 500 pending derivations do not hold 500 source images in memory).
    package var deriveSlots = DeriveSlots(limit: 2 * ProcessInfo.processInfo.activeProcessorCount)
}

/// The kinds of action a build knows, asked in order which one builds a target.
package struct ActionRegistry: Sendable {
    package var kinds: [@Sendable (Target) -> (any BuildAction)?]

    /// Every kind assetbuild has.
    package static let standard = ActionRegistry(kinds: [{ ImageAction($0) }, { TextAction($0) }, { BookAction($0) }, { DeriveAction($0) }])

    /// The action that builds `target`: the first kind that takes it.
    package func action(for target: Target) -> any BuildAction {
        for kind in kinds {
            if let action = kind(target) { return action }
        }
        // Every manifest target has a kind of action in `standard`; only a registry made without
        // one of them can get here.
        fatalError("no kind of action builds target '\(target.name)'")
    }

    /// The same, as the planner asks it.
    package var planned: @Sendable (Target) -> any PlannedAction { { action(for: $0) } }

    /// Memberwise, spelled out so the other targets of the package can call it.
    package init(kinds: [@Sendable (Target) -> (any BuildAction)?]) {
        self.kinds = kinds
    }
}
