import AssetBuildCore
import FlyingFox
import Foundation

/// Hostile answers: what a broken service, gateway or attacker could send, so the client's
/// handling of each is tested end to end (issue 14). Knobs are in `FakeArkBehavior`.
extension FakeArkBehavior {
    public enum BadImageIndex: Sendable, Hashable {
        /// Image 1 of a stream comes with `image_index` -1.
        case negative
        /// Image 1 comes with `image_index` 40, beyond any group (at most 15 images).
        case beyond
        /// Every image comes with `image_index` 0.
        case repeated
    }

    public enum BrokenImage: Sendable, Hashable {
        /// The first half of the JPEG.
        case truncated
        /// The JPEG's header segments only, up to where its scan would start.
        case bareHeader
        /// A whole PNG of the same size where a JPEG was promised.
        case png
        /// A whole GIF where a JPEG was promised.
        case gif
        /// A small JPEG whose frame header declares 60000 × 60000 pixels.
        case bomb
    }

    public enum WrongContentType: Sendable, Hashable {
        /// A plain JSON answer labelled `text/html`.
        case jsonAsHTML
        /// A stream labelled `application/json`.
        case streamAsJSON
        /// A streamed request answered with one plain JSON answer, labelled `text/event-stream`.
        case jsonForStream
        /// A plain request answered with a stream, labelled `application/json`.
        case streamForJSON
        /// The whole JSON answer sent as one `data:` event and `[DONE]`, labelled `text/event-stream`.
        case jsonInStream
    }
}

extension FakeArkCore {
    // MARK: images

    /// The bytes of answer image `index`: the real JPEG, or what `brokenImages` makes of it.
    func answerImage(width: Int, height: Int, colour: Int, index: Int) -> Data {
        let b = state.withLock { $0.behavior }
        let jpeg = FakeJPEG.jpeg(width: width, height: height, colour: colour, quality: b.jpegQuality, noisy: b.noisyImages)
        guard let broken = b.brokenImages, b.brokenImageIndexes?.contains(index) ?? true else { return jpeg }
        switch broken {
        case .truncated:
            return jpeg.prefix(jpeg.count / 2)
        case .bareHeader:
            guard let scan = jpeg.range(of: Data([0xFF, 0xDA])) else { return jpeg.prefix(64) }
            return jpeg[..<scan.lowerBound]
        case .png:
            let image = RGBImage(width: width, height: height, color: RGBColor(200, 120, UInt8(truncatingIfNeeded: 40 * colour)))
            return (try? PNGCodec.encode(image)) ?? Data()
        case .gif:
            return Self.gif(width: width, height: height)
        case .bomb:
            var small = FakeJPEG.jpeg(width: 64, height: 64, colour: colour)
            if let sof = small.range(of: Data([0xFF, 0xC0])) {
                let at = sof.lowerBound + 5  // marker(2) length(2) precision(1), then height and width
                small.replaceSubrange(at..<at + 4, with: [0xEA, 0x60, 0xEA, 0x60])
            }
            return small
        }
    }

    /// A valid GIF89a whose screen is `width` × `height`, holding one 1 × 1 pixel.
    static func gif(width: Int, height: Int) -> Data {
        func le(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        var bytes = Array("GIF89a".utf8) + le(min(width, 65_535)) + le(min(height, 65_535)) + [0x80, 0, 0]
        bytes += [0, 0, 0, 0xFF, 0xFF, 0xFF]                          // a two-colour table
        bytes += [0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]                     // image descriptor: 1 × 1
        bytes += [0x02, 0x02, 0x44, 0x01, 0x00]                        // LZW data
        bytes += [0x3B]
        return Data(bytes)
    }

    // MARK: stream indexes

    /// The `image_index` a streamed event for image `index` carries.
    func streamedIndex(_ index: Int, _ behavior: FakeArkBehavior) -> Int {
        switch behavior.badImageIndex {
        case nil: return index
        case .negative?: return index == 1 ? -1 : index
        case .beyond?: return index == 1 ? 40 : index
        case .repeated?: return 0
        }
    }

    // MARK: content types

    /// Whether the answer is sent as a stream: as asked, unless `wrongContentType` says otherwise.
    func answersAsStream(_ asked: Bool, _ behavior: FakeArkBehavior) -> Bool {
        switch behavior.wrongContentType {
        case .jsonForStream?, .jsonInStream?: return false
        case .streamForJSON?: return true
        default: return asked
        }
    }

    /// A stream answer, relabelled as `wrongContentType` says.
    func dressStream(_ response: HTTPResponse, _ behavior: FakeArkBehavior) -> HTTPResponse {
        var r = response
        switch behavior.wrongContentType {
        case .streamAsJSON?, .streamForJSON?: r.headers[HTTPHeader("Content-Type")] = "application/json"
        default: break
        }
        return r
    }

    /// A plain JSON answer (`json`, already made into `response`), dressed as `wrongContentType` says.
    func dressJSON(_ response: HTTPResponse, json: ArkJSON, _ behavior: FakeArkBehavior) -> HTTPResponse {
        var r = response
        switch behavior.wrongContentType {
        case .jsonAsHTML?: r.headers[HTTPHeader("Content-Type")] = "text/html; charset=utf-8"
        case .jsonForStream?: r.headers[HTTPHeader("Content-Type")] = "text/event-stream; charset=utf-8"
        case .jsonInStream?:
            let text = String(decoding: json.encoded(), as: UTF8.self)
            r.headers[HTTPHeader("Content-Type")] = "text/event-stream; charset=utf-8"
            r.payload = .httpBody(HTTPBodySequence(data: Data("data: \(text)\n\ndata: [DONE]\n\n".utf8)))
        default: break
        }
        return r
    }

    // MARK: huge answers

    /// A 200 answer of `count` bytes, made in 1 MiB chunks as the client reads them (so the fake
    /// never holds it): a JSON object with one long string, or, for a stream, one image event
    /// whose `b64_json` never ends.
    func hugeAnswer(_ count: Int, stream: Bool, record: FakeArkRequest, requestID: String) -> HTTPResponse {
        let head = stream ? Array(#"data: {"type":"image_generation.partial_succeeded","image_index":0,"b64_json":""#.utf8)
            : Array(#"{"model":"doubao-seedream-4-5-251128","data":[{"b64_json":""#.utf8)
        let (chunks, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let producer = Task {
            continuation.yield(head)
            var sent = head.count
            let block = [UInt8](repeating: UInt8(ascii: "A"), count: 1 << 20)
            while sent < count, !Task.isCancelled {
                let n = min(block.count, count - sent)
                continuation.yield(Array(block.prefix(n)))
                sent += n
                await Task.yield()
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in producer.cancel() }
        let type = stream ? "text/event-stream; charset=utf-8" : "application/json"
        let headers = responseHeaders(record, requestID: requestID, contentType: type)
        let body = stream ? HTTPBodySequence(from: ChunkSequence(chunks: chunks))
            : HTTPBodySequence(from: ChunkSequence(chunks: chunks), count: count)
        return HTTPResponse(statusCode: .ok, headers: headers, body: body)
    }
}
