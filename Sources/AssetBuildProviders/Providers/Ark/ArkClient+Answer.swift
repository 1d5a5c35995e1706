import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// How large an answer may be: limits a real answer never reaches, so a broken or hostile server
/// cannot fill the memory (a 1 GB answer once took 2.9 GB), and the message says which was hit.
///
/// The largest image the service makes is 4096 × 4096 = 16,777,216 pixels (ark-api.md §3.1); a
/// JPEG takes at most about 2 bytes a pixel even at quality 100 with no chroma subsampling, so
/// one image is under 32 MiB, and under 43 MiB as base64 (4/3 of it). A request asks for at most
/// 15 images (§5). So:
/// - a plain answer may hold `images × 43 MiB + 1 MiB` (the JSON around the images; a `url`
///   answer is a few kilobytes);
/// - one stream event may hold one image: 43 MiB + 1 MiB;
/// - a downloaded image may be 32 MiB (`TransportRequest.defaultMaxBodyBytes`, 64 MiB, bounds the
///   download itself).
public enum AnswerLimits {
    public static let maxImageBytes = 32 << 20
    public static let maxEncodedImageBytes = maxImageBytes / 3 * 4 + 4
    /// Room for everything in an answer that is not image data.
    public static let envelopeBytes = 1 << 20
    public static let maxEventBytes = maxEncodedImageBytes + envelopeBytes

    /// The largest plain answer to a request for `images` images (1…15; more count as 15).
    public static func maxAnswerBytes(images: Int) -> Int {
        min(max(1, images), ModelCatalog.maxReferencesPlusImages) * maxEncodedImageBytes + envelopeBytes
    }
}

/// What an answer's body is, by its first bytes, whatever its `Content-Type` says: a gateway may
/// label JSON `text/html`, wrap a stream around JSON, or send a stream where JSON was asked for.
/// Throwing a valid answer away would pay for its images again.
package enum AnswerShape: Equatable {
    /// `{` or `[` first: one JSON answer (or error).
    case json
    /// An SSE field (`data:`, `event:`, `id:`, `retry:`) or comment (`:`) first.
    case events
    /// Anything else (an HTML page, plain text): read as a whole answer, which reports it.
    case other

    /// How many bytes are enough to tell.
    package static let sniffBytes = 16

    package static func of(_ head: Data) -> AnswerShape {
        var bytes = head.prefix(4096)[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        while let b = bytes.first, b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { bytes = bytes.dropFirst() }
        guard let first = bytes.first else { return .other }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") { return .json }
        if first == UInt8(ascii: ":") { return .events }
        for field in ["data:", "event:", "id:", "retry:", "data\n", "data\r"] where bytes.starts(with: Array(field.utf8)) {
            return .events
        }
        return .other
    }

    /// Reads chunks until there are enough non-blank bytes to tell the shape, or the body ends.
    package static func head(_ body: inout AsyncThrowingStream<Data, any Error>.AsyncIterator) async throws -> Data {
        var head = Data()
        while head.count < 4096 {
            let content = head.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }
            if content.count >= sniffBytes { break }
            guard let chunk = try await body.next() else { break }
            head.append(chunk)
        }
        return head
    }

    /// `head` and the rest of the body, at most `limit` bytes in all.
    package static func rest(_ body: inout AsyncThrowingStream<Data, any Error>.AsyncIterator, after head: Data,
                     limit: Int) async throws -> Data {
        var data = head
        guard data.count <= limit else { throw TransportError.tooLarge(limit: limit) }
        while let chunk = try await body.next() {
            guard data.count + chunk.count <= limit else { throw TransportError.tooLarge(limit: limit) }
            data.append(chunk)
        }
        return data
    }
}

extension ArkClient.Timeouts {
    /// How long a generation may send nothing. A stream speaks as each image is done, so one
    /// image's `generationStall`; a plain answer says nothing until every image is done, so
    /// `generationStall` for each image asked for (a group must not be cut, and sent again,
    /// only for being slow).
    package func silence(images: Int, streamed: Bool) -> Duration {
        streamed ? generationStall : generationStall * min(max(1, images), ModelCatalog.maxReferencesPlusImages)
    }
}

extension ArkClient {
    /// A transport failure as the user should hear it. A body over its limit is named with the
    /// limit; a timeout after the whole request went out is not retried (`mayHaveCharged`): the
    /// service may be generating, and billing, what no answer brought yet.
    package func transportFailure(_ e: TransportError, run: GenerationRun) -> ProviderError {
        if let limit = e.bodyLimit {
            return ProviderError(.protocolViolation, target: run.target,
                                 message: "the answer is larger than any real answer can be: more than "
                                     + "\(formatBytes(Int64(limit))) (\(limit) bytes; the limit allows "
                                     + "\(formatBytes(Int64(AnswerLimits.maxEncodedImageBytes))) per image asked for); "
                                     + "it was not read further",
                                 requestID: run.requestID, imagesReceived: run.imagesReceived)
        }
        var error = ProviderError(e.isTruncation ? .truncated : .transport(code: e.code), target: run.target,
                                  message: scrub(e.message), requestID: run.requestID, imagesReceived: run.imagesReceived)
        if e.isTimeout && e.requestSent {
            error.mayHaveCharged = true
            error.message = "no answer came within \(run.silence) after the request was sent (curl 28: \(scrub(e.message)))"
        }
        return error
    }

    /// Checks a generated image (`GeneratedImage`) and hands it to the sink. A broken one is not a
    /// finished output: it is reported as a failed image, and the answer as a protocol violation
    /// at its end (the rest of the group still arrives). The sink records the image's own size;
    /// a claim that differs from it is said.
    package func take(_ bytes: Data, index: Int, claimed: (width: Int, height: Int)?, run: GenerationRun) async throws {
        switch GeneratedImage.accept(bytes) {
        case .failure(let why):
            let what = "image \(index + 1) is \(why)"
            await run.sink.imageFailed(ImageFailure(index: index, code: GeneratedImage.refusedCode,
                                                    message: "the service sent \(why) (\(bytes.count) bytes); it is not kept"))
            if run.deferredError == nil {
                run.deferredError = ProviderError(.protocolViolation, target: run.target, message: what,
                                                  requestID: run.requestID)
            }
        case .success(let image):
            if let note = image.note { await run.sink.warning("image \(index + 1): \(note)") }
            if let claimed, claimed.width != image.info.width || claimed.height != image.info.height {
                await run.sink.warning("image \(index + 1): the answer said \(claimed.width)x\(claimed.height) but the image"
                                       + " is \(image.info.width)x\(image.info.height); its own size is recorded")
            }
            try await run.sink.imageReceived(ReceivedImage(index: index, data: image.data, reportedWidth: claimed?.width,
                                                           reportedHeight: claimed?.height))
            run.imagesReceived += 1
        }
    }
}

extension ArkClient {
    /// A chat reply that stopped before its end is not a result (the Ark SDK raises
    /// `ArkLengthFinishReasonError` and `ArkContentFilterFinishReasonError`): nil for a reply
    /// that finished (`stop`, or no reason given).
    package static func stoppedEarly(_ finishReason: String?, target: String, requestID: String) -> ProviderError? {
        switch finishReason {
        case "length":
            return ProviderError(.service, target: target, code: "LengthFinishReason",
                                 message: "the reply stopped early (finish_reason 'length': it reached the token limit)"
                                     + " and is not used", requestID: requestID)
        case "content_filter":
            return ProviderError(.service, target: target, code: "ContentFilterFinishReason",
                                 message: "the reply was stopped by the service's content filter (finish_reason"
                                     + " 'content_filter') and is not used", requestID: requestID)
        default:
            return nil
        }
    }
}
