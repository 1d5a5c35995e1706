import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// Where a workspace keeps its state, each path spelled once: the cache (`.assetbuild/` beside
/// the manifest unless overridden) with its build lock, no-op stamp and rejected replies; the
/// build directory (`build/` beside the manifest) with its record; `assetbuild.lock` beside the
/// manifest.
public struct StatePaths: Sendable, Hashable {
    /// The folder of the manifest (absolute).
    public var manifestDirectory: String
    public var cacheDirectory: URL
    /// Absolute path of the build directory.
    public var buildRoot: String

    /// The paths for a manifest, before (or without) reading it.
    public init(manifestPath: String, cacheDirectory: String?, buildDirectory: String?) {
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p }
        let dir = URL(fileURLWithPath: absolute(manifestPath)).standardizedFileURL.deletingLastPathComponent().path
        manifestDirectory = dir
        self.cacheDirectory = URL(fileURLWithPath: cacheDirectory.map(absolute) ?? dir + "/.assetbuild")
        buildRoot = URL(fileURLWithPath: buildDirectory.map(absolute) ?? dir + "/build").standardizedFileURL.path
    }

    /// `assetbuild.lock` beside the manifest: the committed record of results and pins.
    public var lockFile: String { manifestDirectory + "/assetbuild.lock" }
    /// `build/assetbuild.json`: what was built, from what, and how it came out.
    public var buildRecord: String { buildRoot + "/assetbuild.json" }
    /// The no-op stamp of full builds.
    public var noopStamp: String { cacheDirectory.appendingPathComponent(NoopStamp.fileName).path }
    /// libvips' version and font files, kept while they hold (`DeriveFactsCache`).
    public var deriveFacts: String { cacheDirectory.appendingPathComponent(DeriveFactsCache.fileName).path }
    /// Where a text reply the checks rejected is saved, as `<target>.txt`.
    public var rejectedReplies: String { cacheDirectory.appendingPathComponent("rejected").path }
}
