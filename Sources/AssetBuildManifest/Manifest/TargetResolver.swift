import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook

/// Turns a target's options into a typed spec, applying the model's documented rules
/// (ark-api.md §2–5). Every violation is reported at the option that caused it.
package struct TargetResolver {
    package var provider: ProviderSettings
    package var directory: String
    /// Which local files may be read (`system_file`, a schema file).
    package var files = LocalFilePolicy()

    package func resolve(name: String, location: SourceLocation, options o: TargetOptions,
                 tree: inout YAMLTree) -> Target.Kind? {
        let kind = o.kind?.value ?? "image"
        if kind == "text" { return resolveText(name: name, location: location, options: o, tree: &tree).map { .text($0) } }
        return resolveImage(name: name, location: location, options: o, tree: &tree).map { .image($0) }
    }

    // MARK: Image targets

    private func resolveImage(name: String, location: SourceLocation, options o: TargetOptions,
                              tree: inout YAMLTree) -> ImageSpec? {
        func textOnly(_ key: String, at: SourceLocation?) {
            guard let at else { return }
            tree.error("'\(key)' applies to text targets; remove it, or add 'kind: text' to make '\(name)' a text target", at: at)
        }
        textOnly("system", at: o.system?.location)
        textOnly("system_file", at: o.systemFile?.location)
        textOnly("schema", at: o.schema?.location)
        for option in OptionTable.textOptions { textOnly(option.name, at: o.options[option.name]?.location) }
        let modelID = o.model ?? Located(ModelCatalog.defaultImageModel, at: location)
        // An unknown model skips only the checks that need its limits; the rest still run.
        let known = imageModel(modelID, tree: &tree)
        let model = known ?? ModelCatalog.model(id: ModelCatalog.defaultImageModel)!
        let prompt = o.prompt
        if prompt == nil, !o.written.contains("prompt") {
            tree.error("target '\(name)' has no 'prompt'; add one that describes the image", at: location)
        }
        let m = model.id == modelID.value ? modelID.value : "\(modelID.value) (\(model.id))"

        let images = o.images?.value ?? 1
        var minImages = o.minImages?.value ?? images
        if let mi = o.minImages, mi.value > images {
            tree.error("'min_images' (\(mi.value)) is more than 'images' (\(images))", at: mi.location)
            minImages = images
        }
        var responseFormat = ResponseFormat.b64Json
        if let rf = o.responseFormat {
            if let f = ResponseFormat(rawValue: rf.value) {
                responseFormat = f
            } else {
                tree.error("'response_format: \(rf.value)' is for text targets; image targets take 'url' or 'b64_json'", at: rf.location)
            }
        }
        let references = o.references?.value ?? []
        if let prompt { checkNotBlank(prompt, target: name, what: "the image", tree: &tree) }
        if let text = prompt?.literalText { adviseOnPromptLength(text, at: prompt!.location, tree: &tree) }
        guard let prompt else { return nil }
        guard known != nil else {
            if let size = o.size, !SizeSpec.isSize(size.value) {
                let problem = SizeSpec.isOversized(SizeSpec.trimmed(size.value)) ? SizeSpec.oversizedMessage(size.value)
                    : "size '\(size.value)' is not a size"
                tree.error("\(problem); give 1K, 2K, 4K, adaptive or WxH such as 2048x2048", at: size.location)
            }
            return ImageSpec(
                model: modelID, modelInfo: model, prompt: prompt, references: references,
                size: o.size ?? Located(model.defaultSize, at: location), images: images, minImages: minImages,
                options: resolveOptions(o, for: .image, model: nil, display: m, images: images, tree: &tree),
                responseFormat: responseFormat, modelIsKnown: false)
        }

        if images > 1, !model.supportsGroups {
            tree.error("'images: \(images)' asks for a group, which \(m) cannot make; only seedream 4.5 and 4.0 generate groups", at: o.images!.location)
        }
        let size = resolveSize(o.size, model: model, display: m, location: location, tree: &tree)

        let options = resolveOptions(o, for: .image, model: model, display: m, images: images, tree: &tree)
        checkReferenceCount(references, images: images, model: model, display: m,
                            location: o.references?.location ?? location, target: name, tree: &tree)

        return ImageSpec(
            model: modelID, modelInfo: model, prompt: prompt, references: references, size: size,
            images: images, minImages: minImages, options: options, responseFormat: responseFormat)
    }

    /// The values of the table's options for a target of kind `target`: as written (each checked
    /// against `model`, unless the model is unknown) or else the default.
    package func resolveOptions(_ o: TargetOptions, for target: GenerationOption.Target, model: ImageModel?, display m: String,
                        images: Int, tree: inout YAMLTree) -> OptionValues {
        let options = OptionTable.options(for: target)
        var values = OptionValues(Dictionary(minimumCapacity: options.count))
        for option in options {
            if let written = o.options[option.name] {
                if let model { option.check(written, model: model, display: m, tree: &tree) }
                values[option.name] = written.value
            } else if let value = option.defaultValue(model: model, images: images) {
                values[option.name] = value
            }
        }
        return values
    }

    private func imageModel(_ id: Located<String>, tree: inout YAMLTree) -> ImageModel? {
        if id.value.hasPrefix("ep-") {
            guard let served = provider.endpoints[id.value] else {
                let known = provider.endpoints.keys.sorted()
                tree.error("endpoint '\(id.value)' is not in provider.endpoints\(SpellCheck.didYouMean(id.value, in: known))",
                           at: id.location,
                           notes: ["add '\(id.value): <model id>' under provider.endpoints, naming the model it serves, so its limits can be checked"])
                return nil
            }
            return ModelCatalog.model(id: served)
        }
        if let model = ModelCatalog.model(id: id.value) { return model }
        let ids = ModelCatalog.imageModels.map(\.id)
        if ModelCatalog.textModels.contains(id.value) {
            tree.error("'\(id.value)' is a chat model and cannot make images; use an image model such as \(ModelCatalog.defaultImageModel), or add 'kind: text' to make a text target",
                       at: id.location)
        } else {
            tree.error("unknown model '\(id.value)'\(SpellCheck.didYouMean(id.value, in: ids) )",
                       at: id.location, notes: ["image models: \(ids.joined(separator: ", ")), or an endpoint id 'ep-…' listed in provider.endpoints"])
        }
        return nil
    }

    /// Presets and `WxH` are mutually exclusive ways to ask for a size; each model has its own.
    private func resolveSize(_ size: Located<String>?, model: ImageModel, display m: String,
                             location: SourceLocation, tree: inout YAMLTree) -> Located<String> {
        guard let size else { return Located(model.defaultSize, at: location) }
        let raw = SizeSpec.trimmed(size.value)
        let upper = raw.uppercased()
        if ["1K", "2K", "4K"].contains(upper) {
            if !model.presets.contains(upper) {
                tree.error("size '\(raw)' is not offered by \(m); \(sizeAdvice(model, subject: "it"))", at: size.location)
            }
            return Located(upper, at: size.location)
        }
        if raw.lowercased() == "adaptive" {
            if model.family != .seededit30i2i {
                tree.error("size 'adaptive' is only for seededit-3.0-i2i; \(sizeAdvice(model))", at: size.location)
            }
            return Located("adaptive", at: size.location)
        }
        guard let (w, h) = SizeSpec.parsePixels(raw) else {
            let problem = SizeSpec.isOversized(raw) ? SizeSpec.oversizedMessage(raw) : "size '\(raw)' is not a size"
            tree.error("\(problem); \(sizeAdvice(model))", at: size.location)
            return size
        }
        let normalized = Located("\(w)x\(h)", at: size.location)
        guard let range = model.pixelRange else {
            tree.error("size '\(raw)' cannot be given to \(m); \(sizeAdvice(model, subject: "it"))", at: size.location)
            return normalized
        }
        let pixels = w * h
        let shapeFits = model.aspectRange.map { $0.contains(Double(w) / Double(h)) } ?? true
        // One suggestion that passes every rule: on the error for the shape when the shape is out
        // of range (it changes the shape), else on the error for the pixel count.
        // Searched for only when an error needs it: most sizes are fine.
        let fit = {
            SizeSpec.suggestion(w, h, for: model).map { s in
                "; try \(s.width)x\(s.height) (\(s.clamped ? "the nearest valid size: the aspect ratio is clamped to \(s.width > s.height ? "16:1" : "1:16")" : "the same shape"))"
            } ?? ""
        }
        if !range.contains(pixels) {
            let lo = SizeSpec.describePixels(range.lowerBound), hi = SizeSpec.describePixels(range.upperBound)
            // Too few pixels: a variant of a larger image is the way to a small channel size.
            let advice = pixels < range.lowerBound && shapeFits
                ? VariantSizeAdvice.notes(width: w, height: h, model: model, larger: SizeSpec.suggestion(w, h, for: model).map { ($0.width, $0.height) })
                : []
            tree.error("size '\(raw)' is \(SizeSpec.grouped(pixels)) pixels; \(m) takes \(SizeSpec.grouped(range.lowerBound)) (\(lo)) to \(SizeSpec.grouped(range.upperBound)) (\(hi))\(shapeFits ? fit() : "")",
                       at: size.location, notes: advice)
        }
        if !shapeFits {
            tree.error("size '\(raw)' has aspect ratio \(ImageModel.describeRatio(w, h)); \(m) takes 1:16 to 16:1\(fit())", at: size.location)
        }
        return normalized
    }

    /// What sizes `model` takes, as the second half of a message (`subject` names the model).
    private func sizeAdvice(_ model: ImageModel, subject: String? = nil) -> String {
        let who = subject ?? model.id
        switch model.family {
        case .seededit30i2i: return "\(who) takes only 'adaptive' (the output follows the reference's shape)"
        case .seedream30t2i: return "\(who) takes WxH from 512x512 to 2048x2048 pixels in total, e.g. 1024x1024 or 1280x720"
        default:
            let presets = model.presets.joined(separator: ", ")
            let examples = model.recommendedSizes.filter { ["1:1", "16:9", "9:16"].contains($0.ratio) }
                .map { "\($0.width)x\($0.height)" }.joined(separator: ", ")
            return "\(who) takes \(presets) or WxH, e.g. \(examples)"
        }
    }

    private func checkReferenceCount(_ refs: [Located<Reference>], images: Int, model: ImageModel, display m: String,
                                     location: SourceLocation, target: String, tree: inout YAMLTree) {
        let count = refs.count
        if model.referenceCount.upperBound == 0, count > 0 {
            tree.error("\(m) generates from text only and takes no references; remove them, or use \(ModelCatalog.defaultImageModel) to generate from references",
                       at: location)
            return
        }
        if count < model.referenceCount.lowerBound {
            tree.error("target '\(target)' needs exactly one reference image: \(m) edits an image; add 'references: [path/to/image.png]'",
                       at: location)
            return
        }
        if count > model.referenceCount.upperBound {
            let limit = model.referenceCount.upperBound
            let excess = count - limit
            let what = limit == 1 ? "exactly one" : "at most \(limit)"
            tree.error("\(count) references; \(m) takes \(what): remove \(excess)",
                       at: refs[limit].location)
            return
        }
        if images > 1, count + images > ModelCatalog.maxReferencesPlusImages {
            tree.error("\(count) references + \(images) images is \(count + images); the service allows 15 in all, so at most \(ModelCatalog.maxReferencesPlusImages - count) images here",
                       at: location)
        }
    }

    /// A prompt that is empty (or only spaces, or a ${var} that is) would be paid for and give an
    /// image of nothing asked for.
    package func checkNotBlank(_ prompt: Template, target: String, what: String, tree: inout YAMLTree) {
        guard let text = prompt.literalText, text.allSatisfy(\.isWhitespace) else { return }
        tree.error("the prompt of '\(target)' is empty\(text.isEmpty ? "" : " (only spaces)"); describe \(what) it should make",
                   at: prompt.location)
    }

    /// The guide advises at most 300 Chinese characters or 600 English words: longer prompts lose detail.
    private func adviseOnPromptLength(_ text: String, at location: SourceLocation, tree: inout YAMLTree) {
        let cjk = text.unicodeScalars.reduce(0) { n, u in
            n + ((0x4E00...0x9FFF).contains(u.value) || (0x3400...0x4DBF).contains(u.value) ? 1 : 0)
        }
        let words = Self.wordCount(text)
        if cjk > ModelCatalog.promptAdviceChineseCharacters {
            tree.warning("prompt has \(cjk) Chinese characters; the service advises at most 300 (details get lost)", at: location)
        } else if words > ModelCatalog.promptAdviceEnglishWords {
            tree.warning("prompt has \(words) words; the service advises at most 600 (details get lost)", at: location)
        }
    }

    /// Runs of characters that are not whitespace (`Character.isWhitespace`).
    ///
    /// ASCII text is counted byte by byte: there every character is one byte, and the whitespace
    /// ones are tab, LF, VT, FF, CR and space ("\r\n" is one character, but both its bytes are
    /// whitespace). Other text is split by grapheme, as before: a character's whitespace-ness is
    /// its first scalar's, which bytes alone cannot tell. Grapheme breaking costs ~30 ms per
    /// 10,000 prompts.
    package static func wordCount(_ text: String) -> Int {
        var words = 0, inWord = false
        for b in text.utf8 {
            if b >= 0x80 { return text.split(whereSeparator: { $0.isWhitespace }).count }
            let space = b == 0x20 || (0x09...0x0D).contains(b)
            if !space, !inWord { words += 1 }
            inWord = !space
        }
        return words
    }
}

extension TargetResolver {
    /// A text file named in the manifest, relative to its folder. Messages name the path as
    /// written (never the absolute path, which differs per machine).
    package func readFile(_ relative: String, for key: String, at location: SourceLocation, tree: inout YAMLTree) -> String? {
        let path = relative.hasPrefix("/") ? relative : directory + "/" + relative
        if let refusal = files.refusal(relative, directory: directory, what: key) {
            tree.error(refusal.message, at: location, notes: refusal.notes)
            return nil
        }
        guard let st = FileOps.stat(path) else {
            tree.error("\(key) '\(relative)' does not exist; paths are relative to the manifest's folder", at: location)
            return nil
        }
        guard st.isRegular else {
            tree.error("\(key) '\(relative)' is \(st.kind), not a regular file; name a text file", at: location)
            return nil
        }
        let limit = ManifestLimits.maxTextFileBytes
        do {
            if let text = String(data: try FileOps.read(path, limit: limit), encoding: .utf8) { return text }
            tree.error("\(key) '\(relative)' cannot be read as UTF-8 text", at: location)
        } catch is FileOps.TooLarge {
            tree.error("\(key) '\(relative)' is larger than \(limit >> 20) MB, assetbuild's limit for a text file named in the manifest",
                       at: location)
        } catch {
            tree.error("\(key) '\(relative)' cannot be read: \(error)", at: location)
        }
        return nil
    }
}

/// Parsing and describing `WxH` sizes.
public enum SizeSpec {
    /// Whether `s` has the form of some size (a preset, `adaptive` or `WxH`), whatever the model.
    package static func isSize(_ s: String) -> Bool {
        let raw = trimmed(s)
        return ["1K", "2K", "4K", "ADAPTIVE"].contains(raw.uppercased()) || parsePixels(raw) != nil
    }

    /// The longest side any size may have: a JPEG's. Bounding the sides here keeps every product
    /// of them (pixel counts, suggestions, drafts) far from overflow.
    public static let maxSide = 65_535

    /// `2048x2048` (also `2048X2048`, `2048×2048`, `2048*2048`) → (2048, 2048); nil when it is not
    /// two positive whole numbers of at most `maxSide`.
    public static func parsePixels(_ s: String) -> (Int, Int)? {
        guard let sides = sides(s), let w = Int(sides.0), let h = Int(sides.1),
              (1...maxSide).contains(w), (1...maxSide).contains(h) else { return nil }
        return (w, h)
    }

    /// Whether `s` is `WxH` with a side over `maxSide` (`9999999999x9999999999`).
    package static func isOversized(_ s: String) -> Bool {
        guard let (w, h) = sides(s), !w.isEmpty, !h.isEmpty,
              (w + h).allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        return parsePixels(s) == nil && (Int(w).map { $0 > maxSide } ?? true || Int(h).map { $0 > maxSide } ?? true)
    }

    /// The two sides of `WxH` as written (trimmed), not yet checked to be numbers.
    package static func sides(_ s: String) -> (String, String)? {
        let parts = s.split(whereSeparator: { $0 == "x" || $0 == "X" || $0 == "×" || $0 == "*" })
        guard parts.count == 2 else { return nil }
        return (trimmed(String(parts[0])), trimmed(String(parts[1])))
    }

    /// The message for a size with a side over `maxSide`.
    package static func oversizedMessage(_ raw: String) -> String {
        "size '\(raw)' has a side over \(grouped(maxSide)) pixels, more than any image can have"
    }

    /// `s.trimmingCharacters(in: .whitespaces)`, without Foundation's bridging when neither end
    /// is whitespace (nearly always): then there is nothing to trim.
    package static func trimmed(_ s: String) -> String {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last,
              !whitespaces.contains(first), !whitespaces.contains(last) else {
            return s.trimmingCharacters(in: .whitespaces)
        }
        return s
    }

    /// Made once: `CharacterSet.whitespaces` builds a new set on every call.
    private static let whitespaces = CharacterSet.whitespaces

    /// The guide's own example for a pixel count: 2560x1440 rather than 1920x1920.
    package static func describePixels(_ n: Int) -> String {
        if n == 3_686_400 { return "2560x1440" }
        if n == 921_600 { return "1280x720" }
        let side = Int(Double(n).squareRoot())
        if side * side == n { return "\(side)x\(side)" }
        return "\(grouped(n)) px"
    }

    /// `3686400` → `3,686,400`.
    package static func grouped(_ n: Int) -> String {
        var digits = Array(String(abs(n)))
        var out = ""
        while digits.count > 3 {
            out = "," + String(digits.suffix(3)) + out
            digits.removeLast(3)
        }
        return (n < 0 ? "-" : "") + String(digits) + out
    }

    /// The widest and tallest shape any model takes; used to bound suggestions for a model whose
    /// own ratio limit is not stated (seedream-3.0-t2i).
    package static let widestRatio = 16.0

    /// A size close to `w x h` that `model` accepts: every rule (pixel range, aspect ratio) holds
    /// and both sides are multiples of 8. The shape is kept when it is allowed, else clamped to
    /// the nearest allowed ratio (`clamped`); the pixel count moves to the nearest allowed one.
    package static func suggestion(_ w: Int, _ h: Int, for model: ImageModel)
        -> (width: Int, height: Int, clamped: Bool)? {
        guard let range = model.pixelRange, w > 0, h > 0 else { return nil }
        let aspect = model.aspectRange ?? (1 / widestRatio)...widestRatio
        let ratio = Double(w) / Double(h)
        let shape = min(max(ratio, aspect.lowerBound), aspect.upperBound)
        let pixels = Double(min(max(w * h, range.lowerBound), range.upperBound))
        func valid(_ a: Int, _ b: Int) -> Bool {
            a > 0 && b > 0 && range.contains(a * b) && aspect.contains(Double(a) / Double(b))
        }
        // Search multiples of 8 around the ideal height; the best keeps the shape closest, then
        // the pixel count closest to the one asked for (or the nearest bound).
        let idealHeight = (pixels / shape).squareRoot()
        var best: (w: Int, h: Int, score: Double)?
        let base = Int(idealHeight / 8)
        for hk in max(1, base - 8)...(base + 8) {
            let height = hk * 8
            let wk = Int((Double(height) * shape / 8).rounded(.down))
            for width in [wk * 8, wk * 8 + 8] where valid(width, height) {
                let score = abs(log(Double(width) / Double(height) / shape)) * 1000
                    + abs(log(Double(width * height) / pixels))
                if best == nil || score < best!.score { best = (width, height, score) }
            }
        }
        return best.map { ($0.w, $0.h, ratio != shape) }
    }
}
