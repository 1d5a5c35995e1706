import Yams
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook

/// `storybook:` is the vendor guide's picture-book flow as one target. It expands into three:
///
/// - `<name>.story`: a chat model writes the story as JSON (title, summary, scenes and a picture
///   description per scene), in the language of the request;
/// - `<name>.pictures`: one group generation, a picture per scene plus a cover, from the request
///   and the picture descriptions, with the references keeping characters consistent;
/// - `<name>`: the assembled book, `build/<name>/index.html`.
///
/// Each step is cached on its own: a new page text or layout only re-assembles the book, a new
/// reference only redraws the pictures, a new request redoes everything.
package struct StorybookExpansion {
    package static let keys = ["request", "references", "model", "text_model", "size", "scenes", "watermark",
                       "optimize_prompt", "stream", "response_format", "pages", "title", "layout", "thinking"]
    package static let defaultPictureModel = "doubao-seedream-4-0-250828"

    package var resolver: TargetResolver
    package var templates: TemplateParser

    /// The three targets of the storybook written at `node` (the value of `storybook:`).
    package func expand(name: String, location: SourceLocation, node: Node, defaults: TargetOptions, deps: [Located<String>],
                tree: inout YAMLTree) -> [Target] {
        guard let entries = tree.entries(of: node, context: "'storybook' of target '\(name)'") else { return [] }
        tree.checkKeys(entries, known: Self.keys)
        func value(_ k: String) -> Node? { entries.first { $0.key == k }?.value }

        guard let requestNode = value("request"), let requestText = tree.string(requestNode, for: "request") else {
            if value("request") == nil {
                tree.error("storybook '\(name)' needs a 'request': what the book is about and for whom", at: location)
            }
            return []
        }
        let request = templates.parse(requestText, node: requestNode, tree: &tree)
        guard let requestLiteral = request.literalText else {
            tree.error("a storybook's 'request' cannot use ${target.field}; only ${var}", at: requestNode)
            return []
        }
        let scenes = sceneBounds(value("scenes"), tree: &tree)

        // The pictures: an image target with the storybook's picture options over the defaults.
        var pictures = defaults.imageDefaults()
        pictures.kind = nil
        if let m = value("model") { pictures.model = tree.string(m, for: "model").map { Located($0, at: tree.location(m)) } }
        if pictures.model == nil { pictures.model = Located(Self.defaultPictureModel, at: location) }
        if let s = value("size") { pictures.size = tree.string(s, for: "size").map { Located($0, at: tree.location(s)) } }
        for option in [OptionTable.watermark.spec, OptionTable.optimizePrompt.spec, OptionTable.stream.spec] {
            if let node = value(option.name) { pictures.parse(option, at: node, tree: &tree) }
        }
        if let r = value("response_format") {
            pictures.responseFormat = tree.choice(r, for: "response_format", ["url", "b64_json"]).map { Located($0, at: tree.location(r)) }
        }
        pictures.references = value("references").flatMap { TargetOptions.parseReferences($0, templates: templates, tree: &tree) }
        // Provisional: a referenced group may be declared further down, so the group is sized
        // once every target is known (`fitPictureGroups`), counting each image of such a group.
        let refCount = pictures.references?.value.count ?? 0
        pictures.images = Located(max(2, StorybookSizing(scenes: scenes.upperBound, references: refCount).images), at: location)
        pictures.minImages = Located(1, at: location)
        pictures.prompt = Template(literal: requestLiteral, location: request.location)
        let picturesName = "\(name).pictures", storyName = "\(name).story"
        guard case .image(var pictureSpec)? = resolver.resolve(name: picturesName, location: location, options: pictures, tree: &tree) else {
            return []
        }
        if !pictureSpec.modelInfo.supportsGroups {
            tree.error("a storybook's pictures are one group generation; '\(pictureSpec.modelInfo.id)' cannot make groups (use seedream 4.5 or 4.0)",
                       at: pictureSpec.model.location)
            return []
        }
        pictureSpec.storybook = StorybookPictures(story: storyName, request: requestLiteral, scenes: scenes, references: refCount)

        // The story: a text target with our system prompt, in the request's language.
        var story = defaults.textDefaults()
        story.kind = Located("text", at: location)
        story.model = value("text_model").flatMap { n in tree.string(n, for: "text_model").map { Located($0, at: tree.location(n)) } }
        // The story step asks for the storybook schema (strict json_schema); a model without it
        // would fail only once the build sends the request.
        if let m = story.model, ModelCatalog.textModelsWithoutJSONSchema.contains(m.value) {
            tree.error("a storybook's story is asked for in a JSON schema, which '\(m.value)' cannot answer in; use \(ModelCatalog.defaultTextModel) (the default) or doubao-seed-1-6-251015",
                       at: m.location)
            return []
        }
        story.system = Template(literal: StorybookPrompts.system(for: requestLiteral, minScenes: scenes.lowerBound,
                                                                 maxScenes: scenes.upperBound), location: location)
        story.systemFile = nil
        story.prompt = request
        story.schema = Located(.named("storybook"), at: location)
        story.responseFormat = Located("json_schema", at: location)
        story.options["thinking"] = nil
        if let n = value("thinking") { story.parse(OptionTable.thinking.spec, at: n, tree: &tree) }
        if story.options["thinking"] == nil { story.options["thinking"] = Located(.string("disabled"), at: location) }
        guard case .text(var storySpec)? = resolver.resolve(name: storyName, location: location, options: story, tree: &tree) else {
            return []
        }
        storySpec.storyScenes = scenes
        storySpec.responseFormat = .jsonSchema(name: "storybook", schema: BuiltinSchemas.storybook(scenes: scenes), strict: true)

        let layout = parseLayout(value("layout"), tree: &tree)
        let pages = parsePages(value("pages"), maxScene: scenes.upperBound, tree: &tree)
        let title = value("title").flatMap { tree.string($0, for: "title") }
        let pictureTarget = Target(name: picturesName, location: location, kind: .image(pictureSpec), deps: [],
                                   output: Located("\(name)/pictures/{n}.jpeg", at: location))
        let book = BookSpec(story: storyName, pictures: picturesName, picturesOutput: pictureTarget.outputPattern,
                            layout: layout, pageText: pages, title: title, pictureReferences: refCount)
        return [
            Target(name: storyName, location: location, kind: .text(storySpec), deps: deps,
                   output: Located("\(name)/story.json", at: location)),
            pictureTarget,
            Target(name: name, location: location, kind: .book(book), deps: [], output: nil),
        ]
    }

    /// Sizes every storybook's picture group now that all targets are known: a reference to a whole
    /// group sends each of its images, so it counts that many against the service's 15. Warns when
    /// the limit leaves the longest story without its cover or last pages.
    package static func fitPictureGroups(_ targets: inout [Target], tree: inout YAMLTree) {
        var groupSize: [String: Int] = [:]
        for t in targets { if let spec = t.image { groupSize[t.name] = spec.images } }
        for i in targets.indices {
            guard case .image(var spec) = targets[i].kind, var sb = spec.storybook else { continue }
            sb.references = spec.references.reduce(0) { n, r in
                if case .target(let name, nil) = r.value.source { return n + (groupSize[name] ?? 1) }
                return n + 1
            }
            let longest = sb.sizing(scenes: sb.scenes.upperBound)
            spec.images = max(2, longest.images)
            spec.storybook = sb
            targets[i].kind = .image(spec)
            if !longest.hasCover {
                let refs = "\(sb.references) reference image\(sb.references == 1 ? "" : "s")"
                tree.warning("with \(refs) the service draws at most \(longest.limit) pictures; a story of \(longest.scenes) scenes leaves \(longest.undrawnDescription) without a picture",
                             at: spec.references.first?.location ?? targets[i].location)
            }
            for j in targets.indices {
                guard case .book(var book) = targets[j].kind, book.pictures == targets[i].name else { continue }
                book.pictureReferences = sb.references
                targets[j].kind = .book(book)
            }
        }
    }

    /// The story schema's own bounds: a story has 5 to 10 scenes, so a storybook's `scenes:` must
    /// lie within them (a bound outside could never be met by a valid story).
    package static let sceneLimits = 5...10

    /// `scenes: 6`, `scenes: {min: 5, max: 8}` or `scenes: 5-8`, within 5 to 10 (default 5–10).
    package func sceneBounds(_ node: Node?, tree: inout YAMLTree) -> ClosedRange<Int> {
        let limits = Self.sceneLimits
        guard let node else { return limits }
        let at = tree.location(node)
        var lo = limits.lowerBound, hi = limits.upperBound
        if case .mapping = node, let entries = tree.entries(of: node, context: "'scenes'") {
            tree.checkKeys(entries, known: ["min", "max"])
            for e in entries {
                guard let n = tree.int(e.value, for: "scenes.\(e.key)") else { continue }
                guard limits.contains(n) else {
                    tree.error("'scenes.\(e.key)' must be from 5 to 10 (a story has 5 to 10 scenes), found \(n)", at: e.value)
                    return limits
                }
                if e.key == "min" { lo = n } else if e.key == "max" { hi = n }
            }
        } else if let n = node.int, node.scalar?.style == .plain {
            guard limits.contains(n) else {
                tree.error("'scenes' must be from 5 to 10 (a story has 5 to 10 scenes), found \(n)", at: at)
                return limits
            }
            lo = n; hi = n
        } else if let s = tree.string(node, for: "scenes") {
            let parts = s.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard parts.count == 2 else {
                tree.error("'scenes' takes a number (6), a range (5-8) or {min: 5, max: 8}, found '\(s)'", at: at)
                return limits
            }
            lo = parts[0]; hi = parts[1]
        }
        guard limits.contains(lo), limits.contains(hi), lo <= hi else {
            tree.error("'scenes' must be a range within 5 to 10 (a story has 5 to 10 scenes) with min ≤ max, found \(lo)-\(hi)", at: at)
            return limits
        }
        return lo...hi
    }

    package func parseLayout(_ node: Node?, tree: inout YAMLTree) -> BookAssembler.Layout {
        var layout = BookAssembler.Layout()
        guard let node, let entries = tree.entries(of: node, context: "'layout'") else { return layout }
        tree.checkKeys(entries, known: ["arrangement", "text_size", "theme"])
        for e in entries {
            switch e.key {
            case "arrangement":
                if let a = tree.choice(e.value, for: "layout.arrangement", ["alternate", "picture-left", "picture-right", "stacked"]) {
                    layout.arrangement = a
                }
            case "text_size": if let d = tree.double(e.value, for: "layout.text_size", range: 8...48) { layout.textSize = d }
            case "theme": if let t = tree.choice(e.value, for: "layout.theme", ["warm", "plain"]) { layout.theme = t }
            default: break
            }
        }
        return layout
    }

    /// `pages: {3: "new text"}`: page text that replaces the story's.
    package func parsePages(_ node: Node?, maxScene: Int, tree: inout YAMLTree) -> [Int: String] {
        guard let node, let entries = tree.entries(of: node, context: "'pages'") else { return [:] }
        var out: [Int: String] = [:]
        for e in entries {
            guard let page = Int(e.key), (1...maxScene).contains(page) else {
                tree.error("'pages' keys are page numbers from 1 to \(maxScene), found '\(e.key)'", at: e.keyNode)
                continue
            }
            if let text = tree.string(e.value, for: "pages.\(page)") { out[page] = text }
        }
        return out
    }
}
