import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// What one `generate` call has seen so far. Used by one task only.
package final class GenerationRun {
    package let target: String
    package let sink: any ImageSink
    package let clientID: String
    /// What the request asked for: images beyond it are not handed to the sink (their places
    /// are not the target's), only reported.
    package let maxImages: Int
    package let references: [String]
    /// The service's request id and the `model` its answer named: server text, kept scrubbed.
    package var serverRequestID: ServerText?
    package var model: ServerText?
    package var requestID: String? { serverRequestID?.text }
    package var usage: Usage?
    package var imagesReceived = 0
    package var eventsSeen = 0
    package var deferredError: (any Error)?
    /// Images generated but not downloaded, and billed images beyond `maxImages` (not kept).
    package var undelivered = 0
    package var extras = 0
    /// How long the request may stay silent (for messages).
    package var silence: Duration = .zero
    /// Stream `image_index` values taken so far (succeeded or failed).
    package var seenIndexes: Set<Int> = []
    /// Events skipped for a bad `image_index`, for the error thrown at the end.
    package var badIndexes: [String] = []
    /// The stream's `image_generation.completed` arrived: everything is accounted for.
    package var sawCompleted = false
    private var billedChecked = false

    package init(target: String, sink: any ImageSink, clientID: String, maxImages: Int = 1, references: [String] = []) {
        self.target = target
        self.sink = sink
        self.clientID = clientID
        self.maxImages = maxImages
        self.references = references
    }

    /// The service sent image `index` (0-based) though only `maxImages` were asked for. Storing it
    /// would write an output the target does not declare, so it is dropped, and said so.
    package func extraImage(_ index: Int, billed: Bool) async {
        guard billed else { return }
        extras += 1
        await sink.warning("the service returned image \(index + 1) though only \(maxImages) were asked for;"
                           + " it is billed but not kept (the target declares no place for it)")
    }

    /// Warns when the service billed more images than arrived, were dropped as extras or failed
    /// to download: an image event may have been lost on the way.
    package func checkBilled() async {
        guard !billedChecked, let billed = usage?.generatedImages else { return }
        billedChecked = true
        let accounted = imagesReceived + undelivered + extras
        guard billed > accounted else { return }
        await sink.warning("the service billed \(billed) image(s) but \(imagesReceived) arrived (possible lost images;"
                           + " request id \(requestID ?? clientID))")
    }
}

extension GenerationRun {
    /// Whether a stream event for `image_index` `index` may be taken. A place the request did not
    /// ask for (but a group could hold: the count is the model's) is an extra, reported and
    /// dropped. A negative index, one beyond any group (15), or one seen before is a protocol
    /// error: the event is skipped, the stream read on (later images are paid for too), and
    /// `indexError` is thrown at the end, keeping every image that did arrive.
    package func admit(_ index: Int, succeeded: Bool) async -> Bool {
        let what = succeeded ? "an image" : "a failure"
        if index < 0 || index >= ModelCatalog.maxReferencesPlusImages {
            badIndexes.append("\(what) with image_index \(index), outside any group (0 to \(ModelCatalog.maxReferencesPlusImages - 1))")
            return false
        }
        guard seenIndexes.insert(index).inserted else {
            badIndexes.append("\(what) for image_index \(index) again")
            return false
        }
        guard index < maxImages else {
            if succeeded { await extraImage(index, billed: true) }
            return false
        }
        return true
    }

    /// The protocol error for the bad indexes seen, if any.
    package var indexError: ProviderError? {
        guard let first = badIndexes.first else { return nil }
        let more = badIndexes.count > 1 ? " (and \(badIndexes.count - 1) more such event(s))" : ""
        return ProviderError(.protocolViolation, target: target,
                             message: "the stream sent \(first)\(more); those events were not kept, as their place in the"
                                 + " group is unknown", requestID: requestID, imagesReceived: imagesReceived)
    }
}

package struct NoImages: ImageSink {
    package func imageReceived(_ image: ReceivedImage) async throws {}
    package func imageFailed(_ failure: ImageFailure) async {}
}
