import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// A reference image as it goes over the wire: bytes become a `data:` URI, URLs pass through.
public enum ReferenceInput: Sendable, Hashable {
    /// Image bytes and their lowercase format name (`jpeg`, `png`, `webp`, `bmp`, `tiff`, `gif`).
    case bytes(Data, format: String)
    case url(String)
}

/// Exactly what one image-generation request means (ark-api.md §2). Fields a model does not
/// support are nil; the manifest validator guarantees that.
public struct ImageRequest: Sendable, Hashable {
    /// The target this request builds, for messages and logs.
    public var target: String
    public var model: String
    public var prompt: String
    public var references: [ReferenceInput]
    /// `2K`, `4K`, `WxH` or `adaptive`, as sent.
    public var size: String?
    /// 1 for a single image; > 1 asks for a group (`sequential_image_generation: auto`) of at most this many.
    public var maxImages: Int
    /// The image options of `OptionTable` to send (`watermark`, `seed`, …); `ArkWire` puts each
    /// where the table says.
    public var options: OptionValues
    public var responseFormat: ResponseFormat
    /// How each reference was written in the manifest (`mascot`, `poses[2]`, `refs/a.png`): for
    /// messages and drafts only, never sent.
    public var referenceLabels: [String] = []

    public init(target: String, model: String, prompt: String, references: [ReferenceInput] = [],
                size: String? = nil, maxImages: Int = 1, options: OptionValues = OptionValues(),
                responseFormat: ResponseFormat = .url) {
        self.target = target
        self.model = model
        self.prompt = prompt
        self.references = references
        self.size = size
        self.maxImages = maxImages
        self.options = options
        self.responseFormat = responseFormat
    }

    /// The request for an image target: its model (an endpoint id as written), size, format and
    /// options; `maxImages` is what this request still asks for.
    public init(target: String, spec: ImageSpec, prompt: String, references: [ReferenceInput], maxImages: Int) {
        self.init(target: target, model: spec.model.value, prompt: prompt, references: references, size: spec.size.value,
                  maxImages: maxImages, options: spec.options, responseFormat: spec.responseFormat)
    }

    /// Whether the answer comes as server-sent events.
    public var stream: Bool { options[OptionTable.stream] ?? false }
}

/// One generated image, bytes in hand (JPEG from the real service).
public struct ReceivedImage: Sendable {
    /// 0-based position in the group (`image_index` when streamed, order in `data[]` otherwise).
    public var index: Int
    public var data: Data
    /// From the response's `size` when present; nil when the service did not say (3.0 models).
    public var reportedWidth: Int?
    public var reportedHeight: Int?

    public init(index: Int, data: Data, reportedWidth: Int? = nil, reportedHeight: Int? = nil) {
        self.index = index
        self.data = data
        self.reportedWidth = reportedWidth
        self.reportedHeight = reportedHeight
    }
}

/// Where a provider hands each image the moment it has it. The engine makes the image durable
/// (object store + SQLite) before this returns, so nothing received is lost if the build dies.
public protocol ImageSink: Sendable {
    func imageReceived(_ image: ReceivedImage) async throws
    func imageFailed(_ failure: ImageFailure) async
    /// Something the user should hear about that does not fail the request: an unreadable
    /// stream event, more images billed than arrived, images beyond what was asked.
    func warning(_ message: String) async
}

extension ImageSink {
    /// Sinks that have nowhere to show warnings drop them.
    public func warning(_ message: String) async {}
}

/// What a finished request says about itself.
public struct GenerationSummary: Sendable {
    public var usage: Usage?
    /// The service's request id (`X-Request-Id`), or the client's when the service sent none.
    public var requestID: String?
    public var model: String?

    public init(usage: Usage? = nil, requestID: String? = nil, model: String? = nil) {
        self.usage = usage
        self.requestID = requestID
        self.model = model
    }
}

/// Generates images. Implementations: `ArkClient` (the real service over libcurl) and
/// `DraftProvider` (offline, deterministic). A provider reports each image through the sink as it
/// arrives and throws `ProviderError` on failure, after reporting whatever did arrive.
public protocol ImageProvider: Sendable {
    var name: String { get }
    /// Whether its images cost nothing (drafts made locally): a free provider is not priced,
    /// rate-limited or held to the budget. A provider is paid unless it says otherwise.
    var isFree: Bool { get }
    func generate(_ request: ImageRequest, into sink: any ImageSink) async throws -> GenerationSummary
}

extension ImageProvider {
    public var isFree: Bool { false }
}

public struct TextRequest: Sendable, Hashable {
    public var target: String
    public var model: String
    public var system: String?
    public var prompt: String
    public var responseFormat: TextResponseFormat
    /// The text options of `OptionTable` to send (`thinking`, `temperature`, `max_tokens`).
    public var options: OptionValues

    public init(target: String, model: String, system: String? = nil, prompt: String,
                responseFormat: TextResponseFormat = .text, options: OptionValues = OptionValues()) {
        self.target = target
        self.model = model
        self.system = system
        self.prompt = prompt
        self.responseFormat = responseFormat
        self.options = options
    }

    /// The request for a text target, with its prompts as rendered for this build.
    public init(target: String, spec: TextSpec, system: String?, prompt: String) {
        self.init(target: target, model: spec.model.value, system: system, prompt: prompt,
                  responseFormat: spec.responseFormat, options: spec.options)
    }
}

public struct TextCompletion: Sendable, Hashable {
    public var content: String
    public var requestID: String?
    public var promptTokens: Int?
    public var completionTokens: Int?

    public init(content: String, requestID: String? = nil, promptTokens: Int? = nil, completionTokens: Int? = nil) {
        self.content = content
        self.requestID = requestID
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// Chat completions for text targets (the storybook's story step).
public protocol TextProvider: Sendable {
    func complete(_ request: TextRequest) async throws -> TextCompletion
}
