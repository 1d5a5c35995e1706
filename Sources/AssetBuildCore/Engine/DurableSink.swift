import Foundation

/// Makes each image durable the moment it arrives: object file written and fsynced, row committed
/// in its own transaction, and only then reported. A build killed at any point loses at most the
/// images still in flight.
final class DurableSink: ImageSink, @unchecked Sendable {
    let cache: BuildCache
    let actionKey: String
    let target: String
    /// Images kept from an earlier, interrupted run or attempt: new ones are numbered after them.
    var indexOffset: Int { lock.withLock { _indexOffset } }
    let reporter: any BuildReporter
    /// Called once per durable image (counting and spend).
    let counted: @Sendable () -> Void
    private let lock = NSLock()
    private var _received: [ActionImage] = []
    private var _failures: [ImageFailure] = []
    private var _indexOffset: Int

    init(cache: BuildCache, actionKey: String, target: String, indexOffset: Int, reporter: any BuildReporter,
         counted: @escaping @Sendable () -> Void = {}) {
        self.counted = counted
        self.cache = cache
        self.actionKey = actionKey
        self.target = target
        self._indexOffset = indexOffset
        self.reporter = reporter
    }

    var received: [ActionImage] { lock.withLock { _received } }
    var failures: [ImageFailure] { lock.withLock { _failures } }

    /// The next request's images (numbered from 0 again) come after `offset`.
    func numberNext(from offset: Int) { lock.withLock { _indexOffset = offset } }

    func imageReceived(_ image: ReceivedImage) async throws {
        // The JPEG header is the authority when the service does not say (3.0 models).
        var width = image.reportedWidth ?? 0, height = image.reportedHeight ?? 0
        if width == 0 || height == 0, let info = try? ImageProbe.probe(image.data) {
            width = info.width
            height = info.height
        }
        let object = try cache.objects.put(image.data)
        let record = ActionImage(index: image.index + indexOffset, object: object, width: width, height: height,
                                 byteCount: image.data.count)
        try cache.recordImage(actionKey: actionKey, image: record)
        lock.withLock { _received.append(record) }
        counted()
        reporter.report(.imageReceived(target: target, index: record.index, width: width, height: height,
                                       bytes: image.data.count))
    }

    func imageFailed(_ failure: ImageFailure) async {
        var f = failure
        f.index += indexOffset
        try? cache.recordFailure(actionKey: actionKey, failure: f)
        lock.withLock { _failures.append(f) }
        reporter.report(.imageFailed(target: target, failure: f))
    }
}
