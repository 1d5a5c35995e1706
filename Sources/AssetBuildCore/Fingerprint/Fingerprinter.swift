import Foundation

/// A finished target's output, as downstream targets see it.
public struct TargetOutput: Sendable {
    public var actionKey: String
    /// Image targets: what arrived, sorted by index.
    public var images: [ActionImage]
    /// Text targets: the reply (JSON text for JSON targets).
    public var text: String?
    /// Images of a group that failed (moderation, internal errors), by index.
    public var failures: [ImageFailure]

    public init(actionKey: String, images: [ActionImage], text: String? = nil, failures: [ImageFailure] = []) {
        self.actionKey = actionKey
        self.images = images
        self.text = text
        self.failures = failures
    }
}

/// The inputs of one action, resolved: what gets hashed and what gets sent.
public struct ResolvedInputs: Sendable {
    public enum Source: Sendable, Hashable {
        case file(path: String, format: ImageFormat)
        case object(ObjectID, format: ImageFormat)
        case url(String)
    }

    public var prompt: String
    public var system: String?
    /// In order; a reference to a whole group contributes each of its images.
    public var references: [(label: String, source: Source)]
    /// Images to ask for (a storybook's pictures: one per scene plus the cover).
    public var images: Int = 1
    /// A storybook's book: its story and pictures, ready to assemble.
    public var book: BookInputs?
    /// A storybook's pictures: how the group fits the service's limit (what `plan` reports).
    public var storybook: StorybookSizing?
    /// A storybook's pictures: the prompt that asks for just these places (0-based), so a group
    /// resumed after an interruption draws the missing scenes, not the first ones again.
    public var promptForPlaces: (@Sendable ([Int]) -> String)?
}

/// What a book is assembled from.
public struct BookInputs: Sendable {
    public var story: String
    public var pictures: TargetOutput
}

/// Errors that stop one target (not the manifest): a missing field, a file that vanished.
public struct InputError: Error, Sendable, CustomStringConvertible {
    public var target: String
    public var message: String
    /// `target: message`, the name said once even when the message quotes an error that
    /// already begins with it (a provider error kept for a group cut short).
    public var description: String { message.hasPrefix("\(target): ") ? message : "\(target): \(message)" }
}

/// Computes action keys. Downstream keys use the upstream's output bytes, so an upstream rebuild
/// that yields identical bytes changes nothing below it (early cutoff).
public struct Fingerprinter: Sendable {
    public var provider: String
    public var directory: String
    public var inputs: InputFiles

    public init(provider: String, directory: String, inputs: InputFiles) {
        self.provider = provider
        self.directory = directory
        self.inputs = inputs
    }

    /// The key and inputs of `target`, or nil when an upstream output is not known yet.
    public func fingerprint(_ target: Target, upstream: (String) -> TargetOutput?) throws -> (Fingerprint, ResolvedInputs)? {
        var unresolved = false
        func field(_ name: String, _ path: [String]) throws -> String {
            guard let out = upstream(name) else { unresolved = true; return "" }
            guard let text = out.text else {
                throw InputError(target: target.name, message: "'\(name)' has no text output for ${\(name).\(path.joined(separator: "."))}")
            }
            return try JSONField.extract(text, path: path, target: name, user: target.name)
        }
        switch target.kind {
        case .image(let spec):
            var prompt = try spec.prompt.render(field)
            var images = spec.images
            var sizing: StorybookSizing?
            var promptForPlaces: (@Sendable ([Int]) -> String)?
            if let sb = spec.storybook {
                guard let story = upstream(sb.story)?.text else { return nil }
                guard let parsed = BookAssembler.Story.parse(story) else {
                    throw InputError(target: target.name, message: "the story of '\(sb.story)' is not a storybook story")
                }
                // One picture per scene and a cover, within what the service allows with these references.
                let fit = sb.sizing(scenes: parsed.details.count)
                images = fit.images
                sizing = fit
                // Describe only the pictures that fit: the pages beyond get a visible gap in the book.
                let shown = Array(parsed.details.prefix(images))
                let cover = fit.hasCover
                prompt = StorybookPrompts.pictures(request: sb.request, details: shown, cover: cover)
                let count = images, request = sb.request
                promptForPlaces = { places in
                    StorybookPrompts.pictures(request: request, details: places.filter { $0 < shown.count }.map { shown[$0] },
                                              cover: cover && places.contains(count - 1))
                }
            }
            var refs: [(label: String, source: ResolvedInputs.Source)] = []
            var hashes: [String] = []
            for r in spec.references {
                switch r.value.source {
                case .file(let rel):
                    let path = rel.hasPrefix("/") ? rel : directory + "/" + rel
                    let f: InputFile
                    do throws(InputFiles.Problem) { f = try inputs.digest(path) } catch {
                        throw InputError(target: target.name,
                                         message: InputFiles.diagnostic(error, label: rel, directory: directory, at: nil).message)
                    }
                    refs.append((rel, .file(path: path, format: f.format ?? .jpeg)))
                    hashes.append(f.sha256)
                case .url(let url, let pin):
                    if pin {
                        // Keyed by the bytes it had when pinned, and those very bytes are sent.
                        let pinned = try inputs.pinned(url, target: target.name)
                        refs.append((url, .object(pinned.object, format: pinned.format)))
                        hashes.append(pinned.object.hex)
                    } else {
                        refs.append((url, .url(url)))
                        hashes.append("url:" + url)
                    }
                case .target(let name, let index):
                    guard let out = upstream(name) else { unresolved = true; continue }
                    let chosen: [ActionImage]
                    if let index {
                        guard let image = out.images.first(where: { $0.index == index - 1 }) else {
                            // A group keeps its places: image 2 may be missing while 3 and 4 are there.
                            let arrived = out.images.map { String($0.index + 1) }
                            let failure = out.failures.first { $0.index == index - 1 }
                            let why = failure.map { "image \(index) of '\(name)' failed: \($0.code)" }
                                ?? "image \(index) of '\(name)' did not arrive"
                            throw InputError(target: target.name, message: "reference '\(r.value.spelling)' names image \(index), but \(why)"
                                + (arrived.isEmpty ? "" : " (images \(arrived.joined(separator: ", ")) arrived)")
                                + "; reference another image, or raise min_images of '\(name)' to ask for it again")
                        }
                        chosen = [image]
                    } else {
                        chosen = out.images
                    }
                    for image in chosen {
                        let label = index != nil || out.images.count == 1 ? r.value.spelling : "\(name)[\(image.index + 1)]"
                        if let problem = InputFiles.checkUpstreamImage(image, label: label, upstream: name, model: spec.modelInfo) {
                            throw InputError(target: target.name, message: problem)
                        }
                        refs.append((label, .object(image.object, format: .jpeg)))
                        hashes.append(image.object.hex)
                    }
                }
            }
            if unresolved { return nil }
            let c = ActionKeyComponents.image(provider: provider, spec: spec, prompt: prompt, images: images, references: hashes)
            var inputs = ResolvedInputs(prompt: prompt, system: nil, references: refs)
            inputs.images = images
            inputs.storybook = sizing
            inputs.promptForPlaces = promptForPlaces
            return (Fingerprint(components: c, referenceLabels: refs.map(\.label)), inputs)
        case .text(let spec):
            let prompt = try spec.prompt.render(field)
            let system = try spec.system?.render(field)
            if unresolved { return nil }
            let c = ActionKeyComponents.text(provider: provider, spec: spec, prompt: prompt, system: system)
            return (Fingerprint(components: c, referenceLabels: []), ResolvedInputs(prompt: prompt, system: system, references: []))
        case .book(let spec):
            guard let story = upstream(spec.story)?.text, let pictures = upstream(spec.pictures) else { return nil }
            // The book changes with the story's text, each picture's bytes (or why it is missing),
            // the layout and the page text written in the manifest; never with anything else.
            var layout = SHA256()
            layout.update("\(spec.layout.arrangement)\t\(spec.layout.textSize)\t\(spec.layout.theme)")
            for (page, text) in spec.pageText.sorted(by: { $0.key < $1.key }) { layout.update("\n\(page)\t\(text)") }
            layout.update("\ntitle\t\(spec.title ?? "")")
            layout.update("\nreferences\t\(spec.pictureReferences)")
            let pictureHashes = pictures.images.map { "\($0.index):\($0.object.hex)" }
                + pictures.failures.map { "\($0.index):failed:\($0.code)" }
            let c = ActionKeyComponents(
                kind: "book", provider: "local", model: "book-\(BookAssembler.formatVersion)",
                prompt: SHA256.hash(story).hex, references: pictureHashes.sorted(), system: layout.finalize().hex)
            var inputs = ResolvedInputs(prompt: "", system: nil, references: [])
            inputs.book = BookInputs(story: story, pictures: Self.markingUndrawn(pictures, story: story, references: spec.pictureReferences))
            return (Fingerprint(components: c, referenceLabels: []), inputs)
        }
    }

    /// The pictures with every page (and the cover) that the service's limit left out marked as
    /// never drawn, so the book says why instead of blaming the model.
    static func markingUndrawn(_ pictures: TargetOutput, story: String, references: Int) -> TargetOutput {
        guard let parsed = BookAssembler.Story.parse(story) else { return pictures }
        let sizing = StorybookSizing(scenes: parsed.scenes.count, references: references)
        let chinese = StorybookPrompts.isChinese(parsed.title + parsed.scenes.joined())
        var out = pictures
        // Slots 0..<scenes are the pages, slot `scenes` the cover; the group asked for the first `images`.
        for slot in sizing.images..<(parsed.scenes.count + 1)
        where !pictures.images.contains(where: { $0.index == slot }) && !pictures.failures.contains(where: { $0.index == slot }) {
            out.failures.append(ImageFailure(index: slot, code: BookAssembler.notDrawnCode,
                                             message: sizing.notDrawnReason(chinese: chinese)))
        }
        return out
    }
}

/// `${target.a.b}`: a field of a text target's JSON reply. Arrays join with newlines.
public enum JSONField {
    public static func extract(_ json: String, path: [String], target: String, user: String) throws -> String {
        guard let root = try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]) else {
            throw InputError(target: user, message: "the output of '\(target)' is not JSON, so ${\(target).\(path.joined(separator: "."))} cannot be read")
        }
        var node: Any = root
        for key in path {
            if let dict = node as? [String: Any], let next = dict[key] {
                node = next
            } else if let array = node as? [Any], let i = Int(key), i >= 1, i <= array.count {
                node = array[i - 1]
            } else {
                let available = (node as? [String: Any]).map { " (it has " + $0.keys.sorted().map { "'\($0)'" }.joined(separator: ", ") + ")" } ?? ""
                throw InputError(target: user, message: "the output of '\(target)' has no field '\(path.joined(separator: "."))'\(available)")
            }
        }
        return render(node)
    }

    static func render(_ v: Any) -> String {
        switch v {
        case let s as String: return s
        case let a as [Any]: return a.map(render).joined(separator: "\n")
        case let n as NSNumber: return n.stringValue
        case is NSNull: return ""
        default:
            let data = (try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }
}
