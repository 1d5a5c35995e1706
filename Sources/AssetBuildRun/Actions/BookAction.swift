import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// A storybook's book: its story's pages beside their pictures, assembled into HTML. Local work:
/// nothing is sent, nothing is paid for.
package struct BookAction: BuildAction {
    package let target: Target
    package let spec: BookSpec

    package init?(_ target: Target) {
        guard case .book(let spec) = target.kind else { return nil }
        self.target = target
        self.spec = spec
    }

    package var sendsRequest: Bool { false }
    package var model: String? { "local" }
    package var pendingFigures: PlanFigures { PlanFigures(images: 0, model: nil) }

    /// What the book is assembled from.
    package struct Inputs: Sendable {
        package var story: String
        /// The pictures, every page the service's limit left out marked as never drawn.
        package var pictures: TargetOutput
    }

    package func resolve(_ inputs: KeyInputs) throws -> ResolvedAction? {
        guard let story = inputs.upstream(spec.story)?.text, let pictures = inputs.upstream(spec.pictures) else { return nil }
        var marked = pictures
        let present = Set(pictures.images.map(\.index) + pictures.failures.map(\.index))
        marked.failures += BookAssembler.undrawn(story: story, references: spec.pictureReferences, present: present)
        return ResolvedAction(fingerprint: Fingerprint(components: components(story: story, pictures: pictures), referenceLabels: []),
                              inputs: Inputs(story: story, pictures: marked))
    }

    /// The key: the story's text, each picture's bytes (or why it is missing), the layout and the
    /// page text written in the manifest; never anything else.
    package func components(story: String, pictures: TargetOutput) -> BookKeyComponents {
        var layout = SHA256()
        layout.update("\(spec.layout.arrangement)\t\(spec.layout.textSize)\t\(spec.layout.theme)")
        for (page, text) in spec.pageText.sorted(by: { $0.key < $1.key }) { layout.update("\n\(page)\t\(text)") }
        layout.update("\ntitle\t\(spec.title ?? "")")
        layout.update("\nreferences\t\(spec.pictureReferences)")
        // Only when there are any: the keys of books without stay as they were.
        if !spec.variants.isEmpty { layout.update("\nvariants\n\(BookVariant.keyText(spec.variants))") }
        let pictureHashes = pictures.images.map { "\($0.index):\($0.object.hex)" }
            + pictures.failures.map { "\($0.index):failed:\($0.code)" }
        return BookKeyComponents(assembler: BookAssembler.formatVersion, story: SHA256.hash(story).hex,
                                 layout: layout.finalize().hex, pictures: pictureHashes.sorted())
    }

    package func run(_ plan: TargetPlan, resolved: ResolvedAction, in env: ActionEnvironment) async throws -> ActionResult {
        let inputs = try resolved.inputs(as: Inputs.self, target: target.name)
        guard var story = BookAssembler.Story.parse(inputs.story) else {
            throw InputError(target: target.name, message: "the story of '\(spec.story)' cannot be read")
        }
        if let title = spec.title { story.title = title }
        let key = resolved.fingerprint.key
        try env.cache.beginAction(key: key, target: target.name, componentsJSON: resolved.fingerprint.recordJSON, kind: recordKind)
        env.reporter.report(.targetStarted(target: target.name, images: 0, model: "book"))
        // Pictures are linked relative to the book's own folder.
        let bookDir = (target.outputPath() as NSString).deletingLastPathComponent
        let images = inputs.pictures.images.map { img -> (index: Int, path: String, width: Int, height: Int) in
            let path = spec.picturesOutput.replacingOccurrences(of: "{n}", with: String(img.index + 1))
            return (img.index, Self.relativePath(path, from: bookDir), img.width, img.height)
        }
        let chinese = StorybookPrompts.isChinese(story.title + story.scenes.joined())
        let (pages, cover) = BookAssembler.pictures(scenes: story.scenes.count, images: images,
                                                    failures: inputs.pictures.failures, chinese: chinese)
        // Under each picture that arrived, the images derived from it (built beside the book).
        var variants: [Int: [BookAssembler.VariantLink]] = [:]
        for img in inputs.pictures.images {
            let links = spec.variants.compactMap { v in
                v.output(forPicture: img.index + 1).map {
                    BookAssembler.VariantLink(label: "\(v.target) · \(v.description)", path: Self.relativePath($0, from: bookDir))
                }
            }
            if !links.isEmpty { variants[img.index] = links }
        }
        let html = BookAssembler.html(story: story, pages: pages, cover: cover, pageText: spec.pageText, layout: spec.layout,
                                      variants: variants)
        let object = try env.cache.recordText(actionKey: key, content: html)
        try env.cache.finishAction(key: key, status: .complete)
        env.reporter.report(.targetFinished(target: target.name, images: 0, usage: nil))
        let image = ActionImage(index: 0, object: object, width: 0, height: 0, byteCount: html.utf8.count)
        return ActionResult(output: TargetOutput(actionKey: key, images: [image], text: nil), shortfall: nil)
    }

    /// `to` relative to the folder `from` (both relative to the build directory).
    package static func relativePath(_ to: String, from: String) -> String {
        let a = from.split(separator: "/").map(String.init), b = to.split(separator: "/").map(String.init)
        var common = 0
        while common < a.count, common < b.count - 1, a[common] == b[common] { common += 1 }
        return (Array(repeating: "..", count: a.count - common) + b[common...]).joined(separator: "/")
    }
}
