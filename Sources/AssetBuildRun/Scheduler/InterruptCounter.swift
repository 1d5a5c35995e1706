import Synchronization
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// Counts Ctrl-C (SIGINT/SIGTERM) arrivals for the CLI's interrupt watcher: the first arrival
/// cancels the work, every later one quits at once. Exactly one arrival is ever told to cancel,
/// whichever threads record them.
public final class InterruptCounter: Sendable {
    public enum Action: Sendable, Equatable {
        /// The first interrupt: cancel the build, keeping what arrived.
        case cancel
        /// A later interrupt: exit now.
        case exit
    }

    private let count = Mutex(0)

    public init() {}

    /// Records one interrupt and says what to do about it.
    public func record() -> Action {
        count.withLock { n in
            n += 1
            return n == 1 ? .cancel : .exit
        }
    }
}
