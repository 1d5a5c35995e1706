import Foundation
import Synchronization
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// Makes each image durable the moment it arrives: object file written and fsynced, row committed
/// in its own transaction, and only then reported. A build killed at any point loses at most the
/// images still in flight.
package final class DurableSink: ImageSink {
    package let cache: BuildCache
    package let actionKey: String
    package let target: String
    /// Where this request's images go: image `i` of the answer takes `slots[i]`, the places
    /// earlier runs (or attempts) left empty (refused or never arrived), lowest first; any beyond
    /// them are numbered after the last slot.
    private let slots: [Int]
    package let reporter: any BuildReporter
    /// Called once per durable image (counting and spend).
    package let counted: @Sendable () -> Void
    /// What arrived so far: images made durable, and images that failed.
    private let arrived = Mutex<(received: [ActionImage], failures: [ImageFailure])>(([], []))

    package init(cache: BuildCache, actionKey: String, target: String, slots: [Int], reporter: any BuildReporter,
         counted: @escaping @Sendable () -> Void = {}) {
        self.counted = counted
        self.cache = cache
        self.actionKey = actionKey
        self.target = target
        self.slots = slots
        self.reporter = reporter
    }

    /// The index in the target of image `i` of this request.
    package func slot(_ i: Int) -> Int {
        if i < 0 { return i }  // refused by `imageReceived`; a failure keeps its number as given
        if i < slots.count { return slots[i] }
        return (slots.last ?? -1) + 1 + i - slots.count
    }

    /// The places of a `total`-image target not taken by `kept`, lowest first, then the one
    /// after the last kept image (for images beyond what was asked).
    package static func freeSlots(total: Int, kept: [ActionImage]) -> [Int] {
        let taken = Set(kept.map(\.index))
        var free = (0..<max(1, total)).filter { !taken.contains($0) }
        let next = (kept.map(\.index).max() ?? -1) + 1
        if free.last.map({ $0 < next }) ?? true { free.append(next) }
        return free
    }

    package var received: [ActionImage] { arrived.withLock { $0.received } }
    package var failures: [ImageFailure] { arrived.withLock { $0.failures } }

    package func imageReceived(_ image: ReceivedImage) async throws {
        // A place before the first is no place: a provider bug, never a crash after paying.
        guard image.index >= 0 else {
            throw ProviderError(.protocolViolation, target: target, message: "image index \(image.index) is not a place in the target")
        }
        // The image's own header is the authority; a provider's claim only when it has none.
        var width = image.reportedWidth ?? 0, height = image.reportedHeight ?? 0
        if let info = try? ImageProbe.probe(image.data) {
            width = info.width
            height = info.height
        }
        let object = try cache.objects.put(image.data)
        let record = ActionImage(index: slot(image.index), object: object, width: width, height: height,
                                 byteCount: image.data.count)
        try cache.recordImage(actionKey: actionKey, image: record)
        arrived.withLock { $0.received.append(record) }
        counted()
        reporter.report(.imageReceived(target: target, index: record.index, width: width, height: height,
                                       bytes: image.data.count))
    }

    package func warning(_ message: String) async {
        reporter.report(.warning("\(target): \(message)"))
    }

    package func imageFailed(_ failure: ImageFailure) async {
        var f = failure
        f.index = slot(f.index)
        try? cache.recordFailure(actionKey: actionKey, failure: f)
        arrived.withLock { $0.failures.append(f) }
        reporter.report(.imageFailed(target: target, failure: f))
    }
}
