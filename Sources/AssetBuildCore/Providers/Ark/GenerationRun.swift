import Foundation

/// What one `generate` call has seen so far. Used by one task only.
final class GenerationRun {
    let target: String
    let sink: any ImageSink
    let clientID: String
    /// What the request asked for: images beyond it are not handed to the sink (their places
    /// are not the target's), only reported.
    let maxImages: Int
    let references: [String]
    /// The service's request id and the `model` its answer named: server text, kept scrubbed.
    var serverRequestID: ServerText?
    var model: ServerText?
    var requestID: String? { serverRequestID?.text }
    var usage: Usage?
    var imagesReceived = 0
    var eventsSeen = 0
    var deferredError: (any Error)?
    /// Images generated but not downloaded, and billed images beyond `maxImages` (not kept).
    var undelivered = 0
    var extras = 0

    init(target: String, sink: any ImageSink, clientID: String, maxImages: Int = 1, references: [String] = []) {
        self.target = target
        self.sink = sink
        self.clientID = clientID
        self.maxImages = maxImages
        self.references = references
    }

    /// The service sent image `index` (0-based) though only `maxImages` were asked for. Storing it
    /// would write an output the target does not declare, so it is dropped, and said so.
    func extraImage(_ index: Int, billed: Bool) async {
        guard billed else { return }
        extras += 1
        await sink.warning("the service returned image \(index + 1) though only \(maxImages) were asked for;"
                           + " it is billed but not kept (the target declares no place for it)")
    }

    /// Warns when the service billed more images than arrived, were dropped as extras or failed
    /// to download: an image event may have been lost on the way.
    func checkBilled() async {
        guard let billed = usage?.generatedImages else { return }
        let accounted = imagesReceived + undelivered + extras
        guard billed > accounted else { return }
        await sink.warning("the service billed \(billed) image(s) but \(imagesReceived) arrived (possible lost images;"
                           + " request id \(requestID ?? clientID))")
    }
}

struct NoImages: ImageSink {
    func imageReceived(_ image: ReceivedImage) async throws {}
    func imageFailed(_ failure: ImageFailure) async {}
}
