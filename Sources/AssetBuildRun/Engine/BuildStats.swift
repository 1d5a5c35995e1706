import Synchronization
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// Counters shared by every task of a build.
package final class BuildStats: Sendable {
    private struct Counts { var requests = 0, retries = 0, images = 0 }
    private let counts = Mutex(Counts())
    package init() {}
    package var requests: Int { counts.withLock { $0.requests } }
    package var retries: Int { counts.withLock { $0.retries } }
    package var images: Int { counts.withLock { $0.images } }
    package func countRequest() { counts.withLock { $0.requests += 1 } }
    package func countRetry() { counts.withLock { $0.retries += 1 } }
    package func countImages(_ n: Int) { counts.withLock { $0.images += n } }
}
