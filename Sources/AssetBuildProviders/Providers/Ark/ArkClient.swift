import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// The real Volcengine Ark client: Seedream image generation (plain and streamed) and chat
/// completions, over any `HTTPTransport` (`CurlTransport` in production).
///
/// It never retries a generation: the scheduler owns those retries and must see every attempt. It
/// does retry an image download (`DownloadRetry`): that image is already paid for, and generating
/// it again would pay twice. Every image that arrives goes to the sink at once, before any later
/// failure is thrown. The API key goes only into
/// the `Authorization` header of requests to `baseURL`; it is never sent to image download hosts.
/// Every text the server sends reaches messages, events and the cache only as `ServerText`
/// (answers are read through `ArkWire.answer`, headers through `ArkWire.requestID`), which
/// redacts the key and escapes control characters.
public final class ArkClient: ImageProvider, TextProvider {
    public let name = "ark"
    public let baseURL: String
    private let apiKey: String
    package let transport: any HTTPTransport
    package let userAgent: String
    package let timeouts: Timeouts
    package let downloadRetry: DownloadRetry
    package let sleep: @Sendable (Duration) async throws -> Void
    /// Reads the wall clock for request ids and `Retry-After` dates.
    package let clock: any BuildClock

    /// How long each phase may take.
    public struct Timeouts: Sendable {
        public var connect: Duration
        /// No byte for this long fails a generation or completion. Response heads come only when
        /// the first image (or the whole group) is done, so this must exceed a whole generation.
        public var generationStall: Duration
        /// No byte for this long fails an image download.
        public var downloadStall: Duration

        public init(connect: Duration = .seconds(10), generationStall: Duration = .seconds(600),
                    downloadStall: Duration = .seconds(60)) {
            self.connect = connect
            self.generationStall = generationStall
            self.downloadStall = downloadStall
        }
    }

    /// How often a generated image's download is tried before the build gives up on it. The URL
    /// stays valid for 24 h, so a storage hiccup (5xx, 429, reset, stall) is worth a few tries
    /// with backoff; a 4xx (expired, forbidden) or a body that is not an image is not.
    public typealias DownloadRetry = ImageDownload.Retry

    /// `sleep` waits between download attempts (tests pass one that records and returns at once).
    public init(baseURL: String, apiKey: String, transport: any HTTPTransport,
                userAgent: String = "assetbuild/\(AssetBuildVersion.current)", timeouts: Timeouts = Timeouts(),
                downloadRetry: DownloadRetry = DownloadRetry(),
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
                clock: any BuildClock = SystemClock()) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiKey = apiKey
        Secrets.register(apiKey)
        self.transport = transport
        self.userAgent = userAgent
        self.timeouts = timeouts
        self.downloadRetry = downloadRetry
        self.sleep = sleep
        self.clock = clock
    }

    // MARK: images

    public func generate(_ request: ImageRequest, into sink: any ImageSink) async throws -> GenerationSummary {
        let clientID = ArkWire.makeClientRequestID(now: clock.wallNow())
        let images = max(1, request.maxImages)
        let post = TransportRequest(
            method: "POST", url: baseURL + "/images/generations",
            headers: headers(clientID, accept: request.stream ? "text/event-stream" : "application/json"),
            body: ArkWire.imageBody(request).encoded(),
            connectTimeout: timeouts.connect, stallTimeout: timeouts.silence(images: images, streamed: request.stream),
            maxBodyBytes: AnswerLimits.maxAnswerBytes(images: images))
        let run = GenerationRun(target: request.target, sink: sink, clientID: clientID,
                                maxImages: images, references: request.referenceLabels)
        run.silence = post.stallTimeout
        do {
            // The body's first bytes say whether it is a stream or one JSON answer, whatever
            // its Content-Type claims (AnswerShape).
            if request.stream {
                let stream = try await transport.stream(post)
                run.serverRequestID = ArkWire.requestID(stream.headers, sent: clientID)
                var body = stream.body.makeAsyncIterator()
                let head = try await AnswerShape.head(&body)
                if stream.status != 200 || AnswerShape.of(head) != .events {
                    let whole = try await AnswerShape.rest(&body, after: head, limit: post.maxBodyBytes)
                    let answer = TransportResponse(status: stream.status, headers: stream.headers, body: whole)
                    try await handleWhole(answer, run: run, singleImage: request.maxImages <= 1)
                } else {
                    try await handleStream(head, &body, run: run)
                }
            } else {
                let answer = try await transport.send(post)
                run.serverRequestID = ArkWire.requestID(answer.headers, sent: clientID)
                if answer.status == 200, AnswerShape.of(answer.body) == .events {
                    var nothingMore = AsyncThrowingStream<Data, any Error> { $0.finish() }.makeAsyncIterator()
                    try await handleStream(answer.body, &nothingMore, run: run)
                } else {
                    try await handleWhole(answer, run: run, singleImage: request.maxImages <= 1)
                }
            }
        } catch {
            throw preferringUndelivered(mapped(error, run: run), run: run)
        }
        return GenerationSummary(usage: run.usage, requestID: run.requestID, model: run.model?.text)
    }

    /// A non-streamed answer: an error status, or `data[]` in order.
    private func handleWhole(_ answer: TransportResponse, run: GenerationRun, singleImage: Bool) async throws {
        guard answer.status == 200 else {
            var error = httpError(answer, target: run.target, sentID: run.clientID)
            error.references = run.references
            // A refused single image may come as this 400 instead of `data[0].error`: report it
            // the same way before throwing.
            if error.code == "OutputImageSensitiveContentDetected" && singleImage {
                await run.sink.imageFailed(ImageFailure(index: 0, code: error.code!, message: error.message))
            }
            throw error
        }
        guard let json = ArkWire.answer(answer.body), json.object != nil else {
            // The transfer itself was whole (the transport reports a cut connection), so this is
            // what the service sent, not a dropped connection.
            let looksJSON = AnswerShape.of(answer.body) == .json
            throw ProviderError(.protocolViolation, target: run.target,
                                message: looksJSON ? "the answer is not valid JSON (\(answer.body.count) bytes, cut short or malformed)"
                                    : "the answer is not JSON: " + ArkWire.plainText(answer.body, limit: 120).text,
                                requestID: run.requestID)
        }
        run.model = ArkWire.model(json)
        run.usage = ArkWire.parseUsage(json["usage"])
        for (index, item) in (json["data"]?.array ?? []).enumerated() {
            guard index < run.maxImages else {
                await run.extraImage(index, billed: item["error"] == nil)
                continue
            }
            if let e = item["error"], let body = ArkWire.parseError(["error": e]) {
                await run.sink.imageFailed(ImageFailure(index: index, code: body.code?.nonEmpty ?? "UnknownError",
                                                        message: body.message?.text ?? ""))
                continue
            }
            try await deliver(item, index: index, run: run)
        }
        if let body = ArkWire.parseError(json), json["error"] != nil {
            throw ProviderError(.service, target: run.target, code: body.code?.nonEmpty, message: body.message?.text ?? "service error",
                                param: body.param?.nonEmpty, requestID: run.requestID, imagesReceived: run.imagesReceived)
        }
        await run.checkBilled()
        if let deferred = run.deferredError { throw deferred }
    }

    /// An SSE answer (`head`, then the rest of `body`): dispatch on `data.type`, deliver each image
    /// as its event arrives. One event may be at most `AnswerLimits.maxEventBytes`.
    private func handleStream(_ head: Data, _ body: inout AsyncThrowingStream<Data, any Error>.AsyncIterator,
                              run: GenerationRun) async throws {
        var decoder = SSEDecoder()
        var sawDone = false
        do {
            var chunk = head
            reading: while true {
                for event in decoder.push(chunk) {
                    if try await handleEvent(event, run: run) {
                        sawDone = true
                        break reading
                    }
                }
                guard decoder.pendingBytes <= AnswerLimits.maxEventBytes else {
                    throw TransportError.tooLarge(limit: AnswerLimits.maxEventBytes)
                }
                guard let next = try await body.next() else { break }
                chunk = next
            }
        } catch let error as TransportError where error.code == 28 {
            // Stall detection: the service went silent mid-group (the images so far are kept).
            var stalled = ProviderError(.transport(code: 28), target: run.target, code: nil,
                                        message: "the stream stalled: nothing arrived for \(timeouts.generationStall) "
                                            + "(curl 28: \(ServerText(error.message)))",
                                        requestID: run.requestID, imagesReceived: run.imagesReceived)
            stalled.mayHaveCharged = error.requestSent
            throw stalled
        } catch let error as TransportError where error.bodyLimit != nil {
            throw transportFailure(error, run: run)
        } catch let error as TransportError {
            throw ProviderError(.truncated, target: run.target, code: nil,
                                message: "the stream broke off (curl \(error.code): \(ServerText(error.message)))",
                                requestID: run.requestID, imagesReceived: run.imagesReceived)
        }
        // A cancelled task sees the stream end quietly; that is not a truncation.
        try Task.checkCancellation()
        if !sawDone, let last = decoder.finish(), last.data.trimmingCharacters(in: .whitespaces) == "[DONE]" {
            sawDone = true
        }
        if !sawDone && run.sawCompleted {
            // `completed` (with the usage) is the last event that says anything; [DONE] only ends it.
            await run.sink.warning("the stream ended after its completed event without [DONE]; nothing is missing")
            sawDone = true
        }
        guard sawDone else {
            throw ProviderError(.truncated, target: run.target, message: "the stream ended before [DONE]",
                                requestID: run.requestID, imagesReceived: run.imagesReceived)
        }
        await run.checkBilled()
        if let deferred = run.deferredError { throw deferred }
        if let bad = run.indexError { throw bad }
    }

    /// Returns true at `[DONE]`.
    private func handleEvent(_ event: SSEEvent, run: GenerationRun) async throws -> Bool {
        var data = event.data
        if data.utf8.count < 64 {
            data = data.trimmingCharacters(in: .whitespacesAndNewlines)
            if data == "[DONE]" { return true }
        }
        let whole = data
        // An image event carries megabytes of base64: take it out of the text before parsing the rest.
        var image: Data?
        if data.utf8.count > 4096, let split = ArkWire.splitBase64(data) {
            image = split.image
            data = split.rest
        }
        guard let json = ArkWire.answer(Data(data.utf8)), json.object != nil else {
            // Not a protocol violation worth failing for (the images may all still come), but not
            // silence either: a lost image event would look exactly like this.
            await run.sink.warning("a stream event could not be read and was skipped (not a JSON object): "
                                   + "'\(Self.excerpt(data))'")
            return false
        }
        if let model = ArkWire.model(json) { run.model = model }
        let type = json["type"]?.string
        switch type {
        case "image_generation.partial_succeeded":
            let index = json["image_index"]?.int ?? run.eventsSeen
            run.eventsSeen += 1
            guard await run.admit(index, succeeded: true) else { return false }
            try await deliver(json, index: index, run: run, decoded: image)
        case "image_generation.partial_failed":
            let index = json["image_index"]?.int ?? run.eventsSeen
            run.eventsSeen += 1
            guard await run.admit(index, succeeded: false) else { return false }
            let body = ArkWire.parseError(json) ?? ArkWire.ErrorBody()
            // Moderation lets the group go on; an internal error ends it, and the service then
            // finishes the stream itself, so keep reading either way.
            await run.sink.imageFailed(ImageFailure(index: index, code: body.code?.nonEmpty ?? "UnknownError",
                                                    message: body.message?.text ?? ""))
        case "image_generation.completed":
            if let usage = ArkWire.parseUsage(json["usage"]) { run.usage = usage }
            run.sawCompleted = true
        case nil where json["data"]?.array != nil:
            // A whole answer wrapped in a stream event: read it as one.
            let answer = TransportResponse(status: 200, headers: HTTPHeaderFields(), body: Data(whole.utf8))
            try await handleWhole(answer, run: run, singleImage: run.maxImages <= 1)
        case nil where json["error"] != nil, "error":
            let body = ArkWire.parseError(json) ?? ArkWire.ErrorBody()
            throw ProviderError(.service, target: run.target, code: body.code?.nonEmpty,
                                message: body.message?.text ?? "the stream reported an error",
                                param: body.param?.nonEmpty, requestID: run.requestID,
                                imagesReceived: run.imagesReceived)
        case nil:
            await run.sink.warning("a stream event without data.type was skipped: '\(Self.excerpt(data))'")
        default:
            break  // partial_image and anything new: the spec lets us ignore them
        }
        return false
    }

    /// The start of a skipped event's text, for a warning (never megabytes of base64), scrubbed
    /// before it is cut.
    package static func excerpt(_ text: String, limit: Int = 80) -> String {
        ServerText(text.replacingOccurrences(of: "\n", with: " ")).excerpt(limit)
    }

    /// One successful image item (`url` or `b64_json`, optional `size`): bytes in hand, then the sink.
    /// A failed download or undecodable item is kept as the error to throw at the end, so the
    /// rest of the group still arrives. The sink's own errors stop everything at once.
    private func deliver(_ item: ArkJSON, index: Int, run: GenerationRun, decoded: Data? = nil) async throws {
        let size = ArkWire.parseSize(item["size"]?.string)
        let bytes: Data
        do {
            if let decoded {
                bytes = decoded
            } else if let b64 = item["b64_json"]?.string {
                guard let decoded = Data(base64Encoded: b64, options: .ignoreUnknownCharacters) else {
                    throw ProviderError(.protocolViolation, target: run.target,
                                        message: "image \(index + 1) is not valid base64", requestID: run.requestID)
                }
                bytes = decoded
            } else if let url = item["url"]?.string {
                bytes = try await download(url, index: index, run: run)
            } else {
                throw ProviderError(.protocolViolation, target: run.target,
                                    message: "image \(index + 1) has neither url nor b64_json", requestID: run.requestID)
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if case .notDownloaded? = (error as? ProviderError)?.kind { run.undelivered += 1 }
            if run.deferredError == nil { run.deferredError = mapped(error, run: run) }
            return
        }
        try await take(bytes, index: index, claimed: size, run: run)
    }

    // MARK: text

    public func complete(_ request: TextRequest) async throws -> TextCompletion {
        guard let body = ArkWire.chatBody(request) else {
            throw ProviderError(.protocolViolation, target: request.target, message: "the JSON schema is not valid JSON")
        }
        let clientID = ArkWire.makeClientRequestID(now: clock.wallNow())
        let post = TransportRequest(method: "POST", url: baseURL + "/chat/completions",
                                    headers: headers(clientID, accept: "application/json"), body: body.encoded(),
                                    connectTimeout: timeouts.connect, stallTimeout: timeouts.generationStall)
        let run = GenerationRun(target: request.target, sink: NoImages(), clientID: clientID)
        run.silence = post.stallTimeout
        let answer: TransportResponse
        do {
            answer = try await transport.send(post)
        } catch {
            throw mapped(error, run: run)
        }
        let requestID = ArkWire.requestID(answer.headers, sent: clientID).text
        guard answer.status == 200 else { throw httpError(answer, target: request.target, sentID: clientID) }
        guard let json = ArkWire.answer(answer.body) else {
            throw ProviderError(.protocolViolation, target: request.target, message: "the answer is not JSON",
                                requestID: requestID)
        }
        if json["choices"] == nil, let e = ArkWire.parseError(json), json["error"] != nil {
            throw ProviderError(.service, target: request.target, code: e.code?.nonEmpty, message: e.message?.text ?? "",
                                param: e.param?.nonEmpty, requestID: requestID)
        }
        if let stopped = Self.stoppedEarly(json["choices"]?[0]?["finish_reason"]?.string, target: request.target,
                                           requestID: requestID) {
            throw stopped
        }
        guard let content = json["choices"]?[0]?["message"]?["content"]?.string else {
            throw ProviderError(.protocolViolation, target: request.target,
                                message: "the answer has no choices[0].message.content", requestID: requestID)
        }
        let text = request.responseFormat == .text ? content : ArkWire.unfenced(content)
        return TextCompletion(content: text, requestID: requestID,
                              promptTokens: json["usage"]?["prompt_tokens"]?.int,
                              completionTokens: json["usage"]?["completion_tokens"]?.int)
    }

    // MARK: helpers

    private func headers(_ clientID: String, accept: String) -> [(name: String, value: String)] {
        [("Authorization", "Bearer \(apiKey)"), ("Content-Type", "application/json"), ("Accept", accept),
         ("User-Agent", userAgent), ("X-Client-Request-Id", clientID)]
    }

    private func httpError(_ answer: TransportResponse, target: String, sentID: String) -> ProviderError {
        let body = ArkWire.parseError(answer.body)
        return ProviderError(.http(status: answer.status), target: target, code: body.code?.nonEmpty,
                             message: body.message?.text ?? ArkWire.reasonPhrase(answer.status),
                             param: body.param?.nonEmpty, requestID: ArkWire.requestID(answer.headers, sent: sentID).text,
                             retryAfter: ArkWire.parseRetryAfter(answer.headers["Retry-After"], now: clock.wallNow()))
    }

    /// Maps transport failures and cancellation to `ProviderError`; other errors (the sink's) pass.
    private func mapped(_ error: any Error, run: GenerationRun) -> any Error {
        switch error {
        case var e as ProviderError:
            e.imagesReceived = max(e.imagesReceived, run.imagesReceived)
            e.message = scrub(e.message)
            if e.references.isEmpty { e.references = run.references }
            return e
        case let e as TransportError:
            return transportFailure(e, run: run)
        case is CancellationError:
            return ProviderError(.cancelled, target: run.target, message: "the request was cancelled",
                                 requestID: run.requestID, imagesReceived: run.imagesReceived)
        default:
            return error
        }
    }

    /// Text from elsewhere (the server, curl, a download host) as it may be shown: `ServerText`.
    package func scrub(_ text: String) -> String { ServerText(text).text }
}
