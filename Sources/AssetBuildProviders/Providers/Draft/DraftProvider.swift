import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// The offline provider: no key, no network, deterministic. Each image is a real JPEG of the size
/// the real service would return, showing which target and image it is and what it was made from,
/// so a person reviewing drafts can tell them apart.
public struct DraftProvider: ImageProvider, TextProvider {
    public let name = "draft"
    public var isFree: Bool { true }

    public init() {}

    public func generate(_ request: ImageRequest, into sink: any ImageSink) async throws -> GenerationSummary {
        guard let model = ModelCatalog.model(id: request.model) else {
            throw ProviderError(.http(status: 404), target: request.target, code: "InvalidEndpointOrModel.NotFound",
                                message: "the draft provider does not know model '\(request.model)'")
        }
        func label(_ i: Int) -> String { i < request.referenceLabels.count ? request.referenceLabels[i] : "image \(i + 1)" }
        var referenceArt: [DraftArtReference] = []
        var firstSize: (Int, Int)?
        for (i, ref) in request.references.enumerated() {
            switch ref {
            case .bytes(let data, _):
                if firstSize == nil, let info = try? ImageProbe.probe(data) { firstSize = (info.width, info.height) }
                referenceArt.append(DraftArtReference(label: label(i), data: data))
            case .url(let url):
                referenceArt.append(DraftArtReference(label: i < request.referenceLabels.count ? label(i) : url, data: nil))
            }
        }
        let (width, height) = DraftSizing.pixels(for: request.size, prompt: request.prompt, model: model,
                                                 referenceSize: firstSize)
        let count = request.maxImages > 1
            ? min(request.maxImages, ModelCatalog.maxReferencesPlusImages - request.references.count) : 1
        var key = SHA256()
        key.update("\(request.model)\n\(request.prompt)\n\(request.size ?? "")")
        for option in OptionTable.options(for: .image) {
            if case .varies(let absent) = option.draft { key.update("\n" + (request.options[option.name]?.description ?? absent)) }
        }
        for ref in request.references {
            switch ref {
            case .bytes(let d, _): key.update(d)
            case .url(let u): key.update(u)
            }
        }
        let keyHex = key.finalize().hex
        var tokens = 0
        for index in 0..<max(1, count) {
            try Task.checkCancellation()
            let spec = DraftArtSpec(
                target: request.target, index: index + 1, count: max(1, count), width: width, height: height,
                prompt: request.prompt, model: request.model, sizeLabel: request.size ?? model.defaultSize,
                key: keyHex, references: referenceArt)
            let data = try DraftArt.render(spec)
            tokens += width * height / 256
            try await sink.imageReceived(ReceivedImage(index: index, data: data, reportedWidth: width, reportedHeight: height))
        }
        return GenerationSummary(usage: Usage(generatedImages: max(1, count), outputTokens: tokens, totalTokens: tokens),
                                 requestID: "draft-" + String(keyHex.prefix(16)), model: request.model)
    }

    public func complete(_ request: TextRequest) async throws -> TextCompletion {
        let content = DraftText.reply(to: request)
        return TextCompletion(content: content, requestID: "draft-" + String(SHA256.hash(request.prompt).hex.prefix(16)))
    }
}

/// Deterministic text replies for text targets built offline.
public enum DraftText {
    public static func reply(to request: TextRequest) -> String {
        switch request.responseFormat {
        case .text:
            return "Draft reply (no model was called) to: \(request.prompt)"
        case .jsonObject:
            return jsonString(["text": "Draft reply (no model was called) to: \(request.prompt)"])
        case .jsonSchema(let name, let schema, _):
            if name == "storybook" { return DraftStory.story(for: request.prompt, scenes: DraftStory.bounds(inSchema: schema)) }
            return jsonString(["text": "Draft reply (no model was called) to: \(request.prompt)"])
        }
    }

    package static func jsonString(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
