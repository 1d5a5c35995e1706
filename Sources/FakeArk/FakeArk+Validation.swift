import AssetBuildCore
import Foundation

/// The real service's checks on `POST /images/generations` (ark-api.md §2–5), in its order:
/// model, prompt, references, size, per-model options, group limits. JSON `null` counts as absent.
extension FakeArkCore {
    func validate(_ json: ArkJSON?, behavior: FakeArkBehavior) throws -> GenerationPlan {
        guard let json, json.object != nil else { throw FakeRejection(message: "The request body is not a valid JSON object.") }
        let notSupported = { (param: String) in
            FakeRejection(message: "The parameter `\(param)` is not supported by the current model.", param: param)
        }
        let invalid = { (param: String, why: String) in
            FakeRejection(message: "The parameter `\(param)` specified in the request is not valid: \(why).", param: param)
        }

        guard let modelField = json["model"] else {
            throw FakeRejection(code: "MissingParameter", message: "The request failed because it is missing the `model` parameter.", param: "model")
        }
        guard let requested = modelField.string else { throw invalid("model", "must be a string") }
        let id = behavior.endpoints[requested] ?? requested
        guard let model = ModelCatalog.model(id: id) else {
            throw FakeRejection(status: 404, code: "InvalidEndpointOrModel.NotFound",
                                message: "The model or endpoint \(requested) does not exist or you do not have access to it.")
        }
        if behavior.closedModels.contains(id) || behavior.closedModels.contains(requested) {
            throw FakeRejection(status: 404, code: "ModelNotOpen",
                                message: "Your account has not activated the model \(id). Please activate the model service in the Ark Console.")
        }
        guard let promptField = json["prompt"] else {
            throw FakeRejection(code: "MissingParameter", message: "The request failed because it is missing the `prompt` parameter.", param: "prompt")
        }
        guard let prompt = promptField.string else { throw invalid("prompt", "must be a string") }
        guard !prompt.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw invalid("prompt", "must not be empty") }

        // References.
        var refs: [String] = []
        if let image = json["image"] {
            if let s = image.string { refs = [s] }
            else if let a = image.array, a.allSatisfy({ $0.string != nil }) { refs = a.compactMap(\.string) }
            else { throw invalid("image", "must be a string or an array of strings") }
        }
        if !refs.isEmpty && model.referenceCount.upperBound == 0 { throw notSupported("image") }
        if model.family == .seededit30i2i && refs.count != 1 {
            if refs.isEmpty {
                throw FakeRejection(code: "MissingParameter", message: "The request failed because it is missing the `image` parameter.", param: "image")
            }
            throw invalid("image", "exactly one image is required by the current model")
        }
        if refs.count > ModelCatalog.maxReferences { throw invalid("image", "the number of images cannot exceed 14") }
        var firstRefDimensions: (width: Int, height: Int)?
        for (i, ref) in refs.enumerated() {
            let dims = try validateReference(ref, model: model, behavior: behavior, invalid: invalid)
            if i == 0 { firstRefDimensions = dims }
        }

        // Options each model takes or refuses.
        if let seed = json["seed"] {
            guard OptionTable.seed.spec.takes(model) else { throw notSupported("seed") }
            guard let s = seed.int, (-1...2_147_483_647).contains(s) else { throw invalid("seed", "must be an integer in [-1, 2147483647]") }
        }
        if let g = json["guidance_scale"] {
            guard OptionTable.guidanceScale.spec.takes(model) else { throw notSupported("guidance_scale") }
            guard let v = g.double, (1...10).contains(v) else { throw invalid("guidance_scale", "must be a number in [1, 10]") }
        }
        var isGroup = false
        if let seq = json["sequential_image_generation"] {
            guard let s = seq.string, ["auto", "disabled"].contains(s) else {
                throw invalid("sequential_image_generation", "must be 'auto' or 'disabled'")
            }
            if s == "auto" && !model.supportsGroups { throw notSupported("sequential_image_generation") }
            isGroup = s == "auto"
        }
        var maxImages = 15
        if let options = json["sequential_image_generation_options"] {
            guard options.object != nil else { throw invalid("sequential_image_generation_options", "must be an object") }
            if let m = options["max_images"] {
                guard let v = m.int, (1...15).contains(v) else {
                    throw invalid("sequential_image_generation_options.max_images", "must be an integer in [1, 15]")
                }
                maxImages = v
            }
        }
        var stream = false
        if let s = json["stream"] {
            guard let b = s.bool else { throw invalid("stream", "must be a boolean") }
            if b && !OptionTable.stream.spec.takes(model) { throw notSupported("stream") }
            stream = b
        }
        var base64 = false
        if let f = json["response_format"] {
            guard let s = f.string, ["url", "b64_json"].contains(s) else { throw invalid("response_format", "must be 'url' or 'b64_json'") }
            base64 = s == "b64_json"
        }
        if let w = json["watermark"], w.bool == nil { throw invalid("watermark", "must be a boolean") }
        if let o = json["optimize_prompt_options"] {
            guard o.object != nil else { throw invalid("optimize_prompt_options", "must be an object") }
            if let mode = o["mode"] {
                let modes = OptionTable.optimizePrompt.spec.choices(for: model) ?? []
                if modes.isEmpty { throw notSupported("optimize_prompt_options") }
                guard let m = mode.string, ["standard", "fast"].contains(m) else {
                    throw invalid("optimize_prompt_options.mode", "must be 'standard' or 'fast'")
                }
                if !modes.contains(m) {
                    throw FakeRejection(message: "optimize_prompt_options.mode must be 'standard' for the current model.",
                                        param: "optimize_prompt_options.mode")
                }
            }
        }

        // Size.
        let (width, height) = try resolveSize(json["size"], model: model, prompt: prompt, firstRef: firstRefDimensions,
                                              behavior: behavior, invalid: invalid)

        // Group count: references + images ≤ 15.
        var count = 1
        if isGroup {
            if refs.count + maxImages > ModelCatalog.maxReferencesPlusImages {
                if behavior.tooManyForGroup == .reject {
                    throw FakeRejection(message: "The number of reference images plus max_images must not exceed 15.",
                                        param: "sequential_image_generation_options.max_images")
                }
                maxImages = ModelCatalog.maxReferencesPlusImages - refs.count
            }
            let stated = Self.statedCount(prompt) ?? maxImages
            switch behavior.groupCount {
            case .fromPrompt: count = stated
            case .fixed(let n): count = n
            case .fewerThanAsked(let by): count = min(stated, maxImages) - by
            case .moreThanAsked: break
            }
            count = max(1, min(count, maxImages))
            if case .moreThanAsked(let by) = behavior.groupCount { count = maxImages + by }
        }
        return GenerationPlan(model: model, requestedModel: requested, isGroup: isGroup, stream: stream, base64: base64,
                              count: count, width: width, height: height)
    }

    private func validateReference(_ ref: String, model: ImageModel, behavior: FakeArkBehavior,
                                   invalid: (String, String) -> FakeRejection) throws -> (width: Int, height: Int)? {
        if ref.hasPrefix("http://") || ref.hasPrefix("https://") { return nil }
        guard ref.hasPrefix("data:") else { throw invalid("image", "must be a URL or a data URI") }
        guard let comma = ref.firstIndex(of: ","),
              case let header = ref[ref.index(ref.startIndex, offsetBy: 5)..<comma],
              header.hasSuffix(";base64"),
              header.lowercased().hasPrefix("image/") else {
            throw invalid("image", "data URIs must look like data:image/<format>;base64,<data>")
        }
        let format = String(header.dropFirst("image/".count).dropLast(";base64".count))
        if behavior.dataURIs == .strict && format != format.lowercased() {
            throw invalid("image", "the image format in a data URI must be lowercase")
        }
        guard model.referenceFormats.contains(format.lowercased()) else {
            throw invalid("image", "the image format \(format) is not supported")
        }
        guard let bytes = Data(base64Encoded: String(ref[ref.index(after: comma)...])), !bytes.isEmpty else {
            throw invalid("image", "the data URI is not valid base64")
        }
        if bytes.count > ModelCatalog.maxReferenceBytes { throw invalid("image", "an image must not exceed 10 MB") }
        if behavior.dataURIs == .strict, let actual = sniffFormat(bytes), actual != format.lowercased() {
            throw invalid("image", "the declared format \(format) does not match the image data (\(actual))")
        }
        return try Self.checkReferencePixels(bytes, model: model, invalid: invalid)
    }

    /// The guide's rules for an input image (ark-api.md §4): an image at all, each side more than
    /// 14 px, an aspect ratio in the model's range, at most 6000 × 6000 pixels.
    static func checkReferencePixels(_ bytes: Data, model: ImageModel,
                                     invalid: (String, String) -> FakeRejection) throws -> (width: Int, height: Int) {
        guard let info = try? ImageProbe.probe(bytes) else {
            throw invalid("image", "the image data cannot be decoded as an image")
        }
        let (w, h) = (info.width, info.height)
        guard w > ModelCatalog.minReferenceSide, h > ModelCatalog.minReferenceSide else {
            throw invalid("image", "the image width and height must each be greater than \(ModelCatalog.minReferenceSide) px, got \(w)x\(h)")
        }
        let range = model.referenceAspectRange
        guard range.contains(Double(w) / Double(h)) else {
            throw invalid("image", "the image aspect ratio (width/height) must be in [\(ratio(range.lowerBound)), \(ratio(range.upperBound))], got \(w)x\(h)")
        }
        guard w * h <= ModelCatalog.maxReferencePixels else {
            throw invalid("image", "the image must not exceed 6000x6000 pixels, got \(w)x\(h)")
        }
        return (w, h)
    }

    private static func ratio(_ x: Double) -> String { x < 1 ? "1/\(Int((1 / x).rounded()))" : "\(Int(x.rounded()))" }

    private func resolveSize(_ field: ArkJSON?, model: ImageModel, prompt: String, firstRef: (width: Int, height: Int)?,
                             behavior: FakeArkBehavior, invalid: (String, String) -> FakeRejection) throws -> (Int, Int) {
        var size = model.defaultSize
        if let field {
            guard let s = field.string else { throw invalid("size", "must be a string") }
            size = s
        }
        var result: (Int, Int)
        if model.family == .seededit30i2i {
            guard size == "adaptive" else { throw invalid("size", "only 'adaptive' is supported by the current model") }
            let ref = firstRef ?? (1024, 1024)
            result = ModelCatalog.seededitAdaptiveSize(width: ref.width, height: ref.height)
        } else if model.presets.contains(size) {
            result = Self.presetSize(size, prompt: prompt, table: model.recommendedSizes)
        } else {
            let parts = size.split(separator: "x")
            guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else {
                throw invalid("size", "must be one of \(model.presets) or WIDTHxHEIGHT")
            }
            if let range = model.pixelRange, !range.contains(w * h) {
                throw invalid("size", "the total pixels must be in [\(range.lowerBound), \(range.upperBound)]")
            }
            if let aspect = model.aspectRange, !aspect.contains(Double(w) / Double(h)) {
                throw invalid("size", "the aspect ratio must be in [1/16, 16]")
            }
            result = (w, h)
        }
        if let forced = behavior.answerSize { result = (forced.width, forced.height) }
        return result
    }

    /// The model's pick for a preset: the recommended size for the aspect the prompt names,
    /// scaled for 1K (half) and 4K (double).
    static func presetSize(_ preset: String, prompt: String, table: [(ratio: String, width: Int, height: Int)]) -> (Int, Int) {
        let p = prompt.lowercased()
        let words: [(String, [String])] = [
            ("21:9", ["21:9", "ultrawide", "cinematic"]), ("16:9", ["16:9", "landscape", "widescreen", "横"]),
            ("9:16", ["9:16", "portrait", "vertical", "竖"]), ("4:3", ["4:3"]), ("3:4", ["3:4"]),
            ("3:2", ["3:2"]), ("2:3", ["2:3"]),
        ]
        let ratio = words.first { $0.1.contains { p.contains($0) } }?.0 ?? "1:1"
        let row = table.first { $0.ratio == ratio } ?? table[0]
        switch preset {
        case "1K": return (row.width / 2, row.height / 2)
        case "4K": return (row.width * 2, row.height * 2)
        default: return (row.width, row.height)
        }
    }

    /// "4 images", "a set of 6 pictures", "共4张", "生成3幅": the first such count, if any.
    static func statedCount(_ prompt: String) -> Int? {
        let pattern = #"(\d{1,2})\s*(张|幅|images?|pictures?|pics|illustrations?|frames?|panels?|scenes?)"#
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
              let match = regex.firstMatch(in: prompt, range: NSRange(prompt.startIndex..., in: prompt)),
              let range = Range(match.range(at: 1), in: prompt) else { return nil }
        return Int(prompt[range])
    }
}
