import Foundation
import AssetBuildSupport
import AssetBuildManifest
import AssetBuildDeriveSpec
import AssetBuildPlan

/// A derived target (a variant, a channel asset): each source image sized, cropped, overlaid and
/// encoded locally by libvips. Nothing is sent and nothing is paid for; the key covers the source
/// images' bytes, so an upstream rebuild that gives the same bytes derives nothing again.
package struct DeriveAction: BuildAction {
    package let target: Target
    package let spec: DerivedSpec

    package init?(_ target: Target) {
        guard case .derived(let spec) = target.kind else { return nil }
        self.target = target
        self.spec = spec
    }

    package var makesImages: Bool { true }
    package var sendsRequest: Bool { false }
    package var model: String? { "libvips" }
    package var pendingFigures: PlanFigures { PlanFigures(images: 0, model: "libvips") }

    /// What the derivation is made of, once resolved.
    package struct Inputs: Sendable {
        /// The source images, each with the index its output gets.
        package var sources: [(index: Int, object: ObjectID)]
        /// The spec, its image overlays' bytes still to be read from `overlayFiles`.
        package var spec: DeriveSpec
        /// The file of each image overlay (absolute), in overlay order.
        package var overlayFiles: [String]
    }

    package func resolve(_ inputs: KeyInputs) throws -> ResolvedAction? {
        let source = spec.source.value
        guard let upstream = inputs.upstream(source.target) else { return nil }
        guard let facts = inputs.derive else {
            throw InputError(target: target.name, message: "internal error: libvips' version and fonts were not gathered before planning")
        }
        let sources = try pick(from: upstream, source: source)
        var overlays: [DeriveOverlay] = []
        var overlayHashes: [String?] = []
        var overlayFiles: [String] = []
        var fontHashes: [String] = []
        for overlay in spec.overlays {
            switch overlay.value {
            case .image(let o):
                let path = o.file.hasPrefix("/") ? o.file : inputs.directory + "/" + o.file
                overlayHashes.append(try digest(path, label: o.file, inputs: inputs))
                overlayFiles.append(path)
                overlays.append(.image(DeriveImageOverlay(bytes: Data(), gravity: o.gravity, margin: o.margin, width: o.width,
                                                          height: o.height, opacity: o.opacity)))
            case .text(let t):
                guard let text = try inputs.render(t.text, for: target) else { return nil }
                guard let font = facts.fonts[t.font] else {
                    throw InputError(target: target.name, message: "internal error: the font '\(t.font)' was not resolved before planning")
                }
                fontHashes.append(try digest(font.file, label: "font '\(t.font)' (\(font.file))", inputs: inputs))
                overlayHashes.append(nil)
                overlays.append(.text(DeriveTextOverlay(text: text, font: t.font, size: t.size, color: t.color, gravity: t.gravity,
                                                        margin: t.margin, maxWidth: t.maxWidth)))
            }
        }
        let derive = DeriveSpec(size: spec.size, fit: spec.fit, crop: spec.crop, format: spec.format, quality: spec.quality,
                                background: spec.background, overlays: overlays)
        var canonical = derive.canonical
        for (i, hash) in overlayHashes.enumerated() where hash != nil { canonical.overlays[i].sha256 = hash }
        let components = DeriveKeyComponents(vips: facts.vipsVersion, spec: canonical, sources: sources.map(\.object.hex),
                                             fonts: fontHashes)
        return ResolvedAction(fingerprint: Fingerprint(components: components, referenceLabels: [source.spelling]),
                              outputs: sources.count,
                              inputs: Inputs(sources: sources, spec: derive, overlayFiles: overlayFiles))
    }

    /// The source images this target derives from: one image of a group, or every image the
    /// source has (a group's images keep their numbers: `poses/2.ig.webp` is made from `poses/2.jpeg`).
    private func pick(from upstream: TargetOutput, source: DeriveSource) throws -> [(index: Int, object: ObjectID)] {
        if let n = source.index {
            guard let image = upstream.images.first(where: { $0.index == n - 1 }) else {
                throw InputError(target: target.name, message: "image \(n) of '\(source.target)' was not made, so "
                                 + "'\(source.spelling)' cannot be derived from; build '\(source.target)' again or derive from another image")
            }
            return [(0, image.object)]
        }
        guard !upstream.images.isEmpty else {
            throw InputError(target: target.name, message: "'\(source.target)' has no image to derive from")
        }
        return upstream.images.sorted { $0.index < $1.index }.map { ($0.index, $0.object) }
    }

    private func digest(_ path: String, label: String, inputs: KeyInputs) throws -> String {
        do throws(InputFiles.Problem) {
            return try inputs.files.contentDigest(path)
        } catch {
            throw InputError(target: target.name, message: InputFiles.diagnostic(error, label: label, directory: inputs.directory, at: nil).message)
        }
    }

    package func run(_ plan: TargetPlan, resolved: ResolvedAction, in env: ActionEnvironment) async throws -> ActionResult {
        var inputs = try resolved.inputs(as: Inputs.self, target: target.name)
        guard let toolchain = env.derive else {
            throw InputError(target: target.name, message: "derived targets need libvips, which this build cannot reach; install it with scripts/install-deps")
        }
        // The overlay files were hashed when planning; what is drawn must be those very bytes,
        // or the result would be cached under a key that does not describe it.
        let keyed = (resolved.fingerprint.components as? DeriveKeyComponents)?.spec.overlays
        var fileIndex = 0
        for i in inputs.spec.overlays.indices {
            guard case .image(var o) = inputs.spec.overlays[i] else { continue }
            let file = inputs.overlayFiles[fileIndex]
            o.bytes = try env.fileSystem.read(file)
            fileIndex += 1
            if let expected = keyed?[i].sha256, SHA256.hash(o.bytes).hex != expected {
                throw InputError(target: target.name, message: "overlay file '\(file)' changed while the build ran; build again to use the new file")
            }
            inputs.spec.overlays[i] = .image(o)
        }
        let key = resolved.fingerprint.key
        let cache = env.cache
        try cache.beginAction(key: key, target: target.name, componentsJSON: resolved.fingerprint.recordJSON, kind: recordKind)
        env.reporter.report(.targetStarted(target: target.name, images: inputs.sources.count, model: "libvips"))
        let spec = inputs.spec
        let made: [ActionImage]
        do {
            made = try await withThrowingTaskGroup(of: ActionImage.self) { group in
                let slots = env.deriveSlots
                for source in inputs.sources {
                    group.addTask {
                        do throws(DeriveError) { try await slots.acquire() } catch {
                            throw CancellationError()
                        }
                        defer { slots.release() }
                        let bytes = try cache.objects.read(source.object)
                        let image: DerivedImage
                        do throws(DeriveError) {
                            image = try await toolchain.derive(bytes, spec: spec)
                        } catch {
                            throw InputError(target: target.name, message: "\(error)")
                        }
                        let object = try cache.objects.put(image.data)
                        let made = ActionImage(index: source.index, object: object, width: image.width, height: image.height,
                                               byteCount: image.data.count)
                        try cache.recordImage(actionKey: key, image: made)
                        return made
                    }
                }
                var all: [ActionImage] = []
                for try await image in group { all.append(image) }
                return all.sorted { $0.index < $1.index }
            }
        } catch {
            try? cache.finishAction(key: key, status: .failed)
            throw error
        }
        try cache.finishAction(key: key, status: .complete)
        env.reporter.report(.targetFinished(target: target.name, images: made.count, usage: nil))
        return ActionResult(output: TargetOutput(actionKey: key, images: made))
    }
}
