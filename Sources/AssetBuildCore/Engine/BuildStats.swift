import Synchronization

/// Counters shared by every task of a build.
final class BuildStats: Sendable {
    private struct Counts { var requests = 0, retries = 0, images = 0 }
    private let counts = Mutex(Counts())
    var requests: Int { counts.withLock { $0.requests } }
    var retries: Int { counts.withLock { $0.retries } }
    var images: Int { counts.withLock { $0.images } }
    func countRequest() { counts.withLock { $0.requests += 1 } }
    func countRetry() { counts.withLock { $0.retries += 1 } }
    func countImages(_ n: Int) { counts.withLock { $0.images += n } }
}
