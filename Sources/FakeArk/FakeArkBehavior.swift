import AssetBuildCore
import Foundation

/// Every knob of the fake Ark server. Defaults follow ark-api.md's best reading of the real
/// service; each open question of its §12 is a knob so tests can produce every possible answer.
public struct FakeArkBehavior: Sendable {
    /// The only API key accepted (`Authorization: Bearer <key>`); anything else gets 401.
    public var apiKey = "test-key"
    /// How long each image takes to "generate". Stream heads wait for the first one.
    public var imageLatency: Duration = .zero
    /// How many images a group request (`sequential_image_generation: auto`) produces.
    public var groupCount: GroupCount = .fromPrompt
    /// Answer every image with these pixels instead of the size rules (e.g. 1760x2368 for `2K`).
    public var answerSize: (width: Int, height: Int)?
    /// 0-based images that fail moderation (`OutputImageSensitiveContentDetected`); the group goes on.
    public var moderatedImages: Set<Int> = []
    /// The 0-based image at which an `InternalServiceError` stops the group.
    public var internalErrorAtImage: Int?
    /// Models that answer 404 `ModelNotOpen`.
    public var closedModels: Set<String> = []
    /// Endpoint ids (`ep-…`) and the model each one serves.
    public var endpoints: [String: String] = [:]
    /// Images per minute per model (`ModelAccountIpmRateLimitExceeded` beyond); nil for no limit.
    public var imagesPerMinute: Int?
    /// The window `imagesPerMinute` counts over: a minute, like the service. A test may make it
    /// shorter (a more lenient account) so a loaded machine's delay between a client's limiter and
    /// the fake cannot turn into a 429, while uncoordinated clients still meet one.
    public var imagesPerMinuteWindow: Duration = .seconds(60)
    /// The `Retry-After` sent with rate-limit answers of the IPM limiter.
    public var rateLimitRetryAfter: RetryAfter = .seconds(1)
    /// The message and `param` of IPM 429s (§12.1: the real ones are unknown); nil for the
    /// message inferred from the RPM one.
    public var rateLimitMessage: String?
    public var rateLimitParam = ""
    /// references + max_images > 15: rejected (400) or silently capped (§12.2).
    public var tooManyForGroup: OverLimit = .cap
    /// A single (non-group) image refused by moderation: HTTP 400, or 200 with `data[0].error` (§12.3).
    public var singleImageModeration: SingleModeration = .dataError
    /// Which creation-time field events and answers carry (§12.4).
    public var createdField: CreatedField = .created
    /// Send `: keepalive` comment lines between stream events (§12.4).
    public var keepAliveComments = false
    /// Send `image_generation.partial_image` events before each image (§12.5).
    public var partialImageEvents = false
    /// Frame stream events as the SSE spec allows but Ark's examples never show: each JSON split
    /// over two `data:` lines, with `id:`, `retry:` and an unknown field (`x-trace:`) line.
    public var sseSpecExtras = false
    /// Send, before the first image, one event whose data is not JSON and one without `type`.
    public var unreadableEvents = false
    /// 0-based images that are generated and billed (in `usage`) but whose event is never sent:
    /// a lost image, as the client can only infer from `completed.usage`.
    public var lostImageEvents: Set<Int> = []
    /// Data URIs: `strict` rejects an uppercase or mismatched format, as the guide requires a
    /// lowercase one (§12.7); `lenient` accepts both.
    public var dataURIs: DataURIPolicy = .strict
    /// Line ending of stream frames: "\n", "\r\n" or "\r".
    public var sseLineEnding = "\n"
    /// Send `X-Request-Id`, and echo `X-Client-Request-Id`.
    public var sendsRequestID = true
    public var echoesClientRequestID = true
    /// The content of chat completions, and how it is wrapped.
    public var chatContent = #"{"title":"The Fox","summary":"a fox story","scenes":["a fox"],"scenes_detail":["图片1：a fox"]}"#
    public var chatWrapping: ChatWrapping = .plain
    /// Answer a request for the `storybook` schema with a story written for its user message, in
    /// its language, with as many scenes as the schema's `minItems` (what `fake-ark` does, so the
    /// storybook example builds against it); otherwise `chatContent`.
    public var storyFromRequest = false
    /// Awaited before a streamed group's image `index` (from 1) is sent: a test can hold the
    /// stream at a point and look at what the client has by then.
    public var beforeStreamedImage: (@Sendable (Int) async -> Void)?
    /// Faults drawn at random for each POST, from a seeded generator (reproducible).
    public var randomFaults: RandomFaults?
    public var jpegQuality = 80
    /// Grainy images as large as real photographs (for memory and throughput measurements).
    public var noisyImages = false
    /// Image downloads (`GET /files/…`) never answer: a storage host that stalls.
    public var downloadsHang = false
    /// Image downloads answer 403 as storage does for an expired signed URL.
    public var downloadsExpired = false
    /// Every image download fails this way (one-off failures: `FakeArkServer.enqueueDownload`).
    public var downloadFault: FakeDownloadFault?
    /// Limits `downloadFault` to these 0-based images of each answer; nil for all.
    public var downloadFaultImages: Set<Int>?
    /// Answer every valid request as a hostile server would (FakeArk+Hostile.swift); nil: honestly.
    public var hostile: FakeHostility?

    // Hostile answers (FakeArk+Faults.swift).
    /// Awaited before each generation is answered (after validation and faults are drawn): a test
    /// can hold every answer until something has happened, e.g. all its requests have arrived.
    public var beforeAnswer: (@Sendable (FakeArkRequest) async -> Void)?
    /// Streamed image events that carry a wrong `image_index`.
    public var badImageIndex: BadImageIndex?
    /// Image bytes (inline and downloaded) that are not the whole JPEG promised.
    public var brokenImages: BrokenImage?
    /// Limits `brokenImages` to these 0-based images of each answer; nil for all.
    public var brokenImageIndexes: Set<Int>?
    /// Answers whose Content-Type, or whose framing, is not what was asked for.
    public var wrongContentType: WrongContentType?
    /// Every generation is answered with a 200 body of this many bytes (made as it is sent),
    /// larger than any real answer.
    public var hugeAnswerBytes: Int?
    /// The `finish_reason` of chat completions (`length` and `content_filter` end a reply early).
    public var chatFinishReason = "stop"

    public init() {}

    public enum GroupCount: Sendable, Hashable {
        /// The count stated in the prompt ("4 images", "共4张"), else max_images; always capped by
        /// max_images and 15 − references.
        case fromPrompt
        case fixed(Int)
        /// What `fromPrompt` gives, less this many (at least 1).
        case fewerThanAsked(by: Int)
        /// max_images plus this many, ignoring the cap (§5: the count is not guaranteed).
        case moreThanAsked(by: Int)
    }

    public enum RetryAfter: Sendable, Hashable {
        case none
        case seconds(Int)
        /// An HTTP-date this many seconds from now.
        case httpDate(secondsFromNow: Int)
    }

    public enum OverLimit: Sendable, Hashable { case reject, cap }
    public enum SingleModeration: Sendable, Hashable { case http400, dataError }
    public enum CreatedField: Sendable, Hashable { case created, createdAt, both, none }
    public enum DataURIPolicy: Sendable, Hashable { case lenient, strict }
    public enum ChatWrapping: Sendable, Hashable {
        case plain
        /// Wrapped in a ```json code fence.
        case codeFence
        /// Cut in half: not valid JSON.
        case malformed
    }

    public struct RandomFaults: Sendable, Hashable {
        public var seed: UInt64
        public var rateLimited: Double
        public var serverError: Double
        public var reset: Double
        public var truncatedBody: Double
        public var truncatedStream: Double

        public init(seed: UInt64, rateLimited: Double = 0, serverError: Double = 0, reset: Double = 0,
                    truncatedBody: Double = 0, truncatedStream: Double = 0) {
            self.seed = seed
            self.rateLimited = rateLimited
            self.serverError = serverError
            self.reset = reset
            self.truncatedBody = truncatedBody
            self.truncatedStream = truncatedStream
        }
    }
}

/// A fault for one POST request, queued with `FakeArkServer.enqueue(_:)`.
public enum FakeArkFault: Sendable, Hashable {
    /// 429 (`ModelAccountIpmRateLimitExceeded`) with the given `Retry-After`.
    case rateLimited(FakeArkBehavior.RetryAfter)
    /// 500 `InternalServiceError`.
    case serverError
    /// Any status with an Ark error body.
    case status(Int, code: String, message: String)
    /// The connection is dropped without an answer.
    case reset
    /// A 200 whose body stops halfway through its Content-Length, then the connection closes.
    case truncatedBody
    /// A stream whose connection closes (no last chunk) after this many images.
    case truncatedStream(afterImages: Int)
    /// A stream that ends cleanly but without `[DONE]` after this many images.
    case streamEndsEarly(afterImages: Int)
    /// A stream that sends `data: {"error":…}` after this many images, then ends.
    case errorEvent(afterImages: Int)
    /// No answer at all until the client gives up (or the server stops).
    case hang
    /// A stream that sends this many images, then nothing more on an open connection.
    case streamHangs(afterImages: Int)
    /// A stream that sends every image and its `completed` event (with the usage), then ends
    /// without `data: [DONE]`.
    case streamWithoutDone
}

/// A fault for an image download (`GET /files/…`).
public enum FakeDownloadFault: Sendable, Hashable {
    /// This status with a storage-style XML body.
    case status(Int)
    /// The connection is dropped without an answer.
    case reset
    /// 200 with an HTML page, as a captive portal or a broken proxy would answer.
    case html
}

/// One request as the fake received it.
public struct FakeArkRequest: Sendable {
    public var method: String
    public var path: String
    public var query: String
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: Data
    /// The client's TCP port: the same port for two requests means the connection was reused.
    public var peerPort: Int?
    /// When the server had read the whole request.
    public var receivedAt: ContinuousClock.Instant = .now

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
    /// The body parsed as JSON (nil when it is not JSON).
    public var json: ArkJSON? { ArkJSON.parse(body) }
}
