import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// Image generation: one request for a single image or a group, a storybook's picture group
/// included (its prompt and size come from the story). Images are made durable one by one as they
/// arrive; a group that breaks off keeps them, and the next build asks only for the missing places.
package struct ImageAction: BuildAction {
    package let target: Target
    package let spec: ImageSpec

    package init?(_ target: Target) {
        guard case .image(let spec) = target.kind else { return nil }
        self.target = target
        self.spec = spec
    }

    package var makesImages: Bool { true }
    package var minimumImages: Int { spec.minImages }
    package var model: String? { spec.modelInfo.id }

    package var pendingFigures: PlanFigures {
        // A storybook's pictures ask for at most one per scene and a cover (the story decides).
        PlanFigures(images: spec.images, model: spec.modelInfo.id,
                    detail: spec.storybook.map { $0.sizing(scenes: $0.scenes.upperBound).description(upTo: true) })
    }

    package func pricePerImage(_ provider: ProviderSettings) -> Double { provider.price(for: spec.model.value) }

    package var pinnedURLs: [String] {
        spec.references.compactMap {
            if case .url(let url, pin: true) = $0.value.source { return url }
            return nil
        }
    }

    /// What a request is made from, once resolved.
    package struct Inputs: Sendable {
        package var prompt: String
        package var references: [(label: String, source: ReferenceSource)]
        /// Images to ask for (a storybook's pictures: one per scene plus the cover).
        package var images: Int
        /// A storybook's pictures: the group, so a resumed one asks for just the missing places.
        package var group: StoryPictureGroup?
    }

    package func resolve(_ inputs: KeyInputs) throws -> ResolvedAction? {
        let rendered = try inputs.render(spec.prompt, for: target)
        var prompt = rendered ?? ""
        var images = spec.images
        var group: StoryPictureGroup?
        if let sb = spec.storybook {
            guard let story = inputs.upstream(sb.story)?.text else { return nil }
            guard let g = StoryPictureGroup(story: story, request: sb.request, references: sb.references) else {
                throw InputError(target: target.name, message: "the story of '\(sb.story)' is not a storybook story")
            }
            (prompt, images, group) = (g.prompt, g.images, g)
        }
        guard let refs = try inputs.references(spec.references, for: target, model: spec.modelInfo), rendered != nil else { return nil }
        let c = components(provider: inputs.provider, prompt: prompt, images: images, references: refs.map(\.hash))
        return ResolvedAction(fingerprint: Fingerprint(components: c, referenceLabels: refs.map(\.label)),
                              outputs: max(1, images), detail: group?.sizing.description(),
                              inputs: Inputs(prompt: prompt, references: refs.map { ($0.label, $0.source) }, images: images, group: group))
    }

    /// The key: every input that changes the images, and nothing that does not (DESIGN §4).
    package func components(provider: String, prompt: String, images: Int, references: [String]) -> ActionKeyComponents {
        .image(provider: provider, spec: spec, prompt: prompt, images: images, references: references)
    }

    /// The request: what the key describes, plus how the answer comes back.
    package func request(prompt: String, references: [ReferenceInput], labels: [String], maxImages: Int) -> ImageRequest {
        var request = ImageRequest(target: target.name, spec: spec, prompt: prompt, references: references,
                                   maxImages: maxImages)
        request.referenceLabels = labels
        return request
    }

    package func run(_ plan: TargetPlan, resolved: ResolvedAction, in env: ActionEnvironment) async throws -> ActionResult {
        let inputs = try resolved.inputs(as: Inputs.self, target: target.name)
        let key = resolved.fingerprint.key
        let cache = env.cache
        try cache.beginAction(key: key, target: target.name, componentsJSON: resolved.fingerprint.recordJSON, kind: recordKind)
        let kept = plan.action?.images ?? []
        var references: [ReferenceInput] = []
        for ref in inputs.references {
            switch ref.source {
            case .file(let path, let format): references.append(.bytes(try env.fileSystem.read(path), format: format.rawValue))
            case .object(let id, let format):
                // An upstream output is a JPEG, unless it is a derived image (a PNG or WebP variant):
                // its own header says which.
                let bytes = try cache.objects.read(id)
                references.append(.bytes(bytes, format: ((try? ImageProbe.probe(bytes))?.format ?? format).rawValue))
            case .url(let url): references.append(.url(url))
            }
        }
        let total = inputs.images
        let places = DurableSink.freeSlots(total: total, kept: kept)
        // A resumed storybook group describes only the scenes still missing, in the order of the
        // free places they will fill.
        let prompt = !kept.isEmpty ? inputs.group?.prompt(forPlaces: places) ?? inputs.prompt : inputs.prompt
        let request = request(prompt: prompt, references: references, labels: inputs.references.map(\.label),
                              maxImages: total > 1 ? max(1, total - kept.count) : 1)
        let model = spec.model.value
        let sink = DurableSink(cache: cache, actionKey: key, target: target.name, slots: places,
                               reporter: env.reporter) { [stats = env.stats, spend = env.spend] in
            stats.countImages(1)
            spend.charge(model: model, images: 1)
        }
        let priorFailures = plan.action?.failures ?? []
        do {
            let summary = try await env.admission.send(Attempt(target: target.name, model: spec.modelInfo.id, request: request,
                                                               provider: env.images, sink: sink, kept: kept.count, total: total))
            try cache.recordRequest(actionKey: key, requestID: summary.requestID, usage: summary.usage, model: summary.model)
        } catch let error as ProviderError {
            guard !sink.received.isEmpty else {
                try finish(key, kept: kept, sink: sink, total: total, cache: cache)
                throw error
            }
            // Part of the answer arrived, then it broke off. What arrived is kept and materialized;
            // the rest is not asked for in this build: the service may already have charged for
            // images it never delivered, so asking again is the user's call. The action stays
            // "interrupted", so the next build asks only for the missing places (never for a
            // received image), whatever min_images says.
            let all = try finish(key, kept: kept, sink: sink, total: total, cache: cache, interrupted: true)
            let missing = total - all.count
            let message = "\(error)\n  \(all.count) of \(total) images are kept; the next build asks only for the "
                + "\(missing) missing (not retried now: the service may have charged for images it did not deliver)"
            let failures = (priorFailures + sink.failures).filter { f in !all.contains { $0.index == f.index } }
            return ActionResult(output: TargetOutput(actionKey: key, images: all, failures: failures), shortfall: message)
        } catch {
            // Interrupted: what arrived is kept, and the next build resumes from it.
            _ = try? finish(key, kept: kept, sink: sink, total: total, cache: cache, interrupted: true)
            throw error
        }
        let all = try finish(key, kept: kept, sink: sink, total: total, cache: cache)
        env.reporter.report(.targetFinished(target: target.name, images: sink.received.count, usage: nil))
        var shortfall: String?
        if all.count < spec.minImages {
            let failures = sink.failures.map { "image \($0.index + 1): \($0.code): \($0.message)" }
            shortfall = "\(all.count) of \(total) images arrived; min_images is \(spec.minImages)"
                + (failures.isEmpty ? " (the model returned fewer images than asked; state the count in the prompt, or lower min_images)"
                   : "\n  " + failures.joined(separator: "\n  "))
        }
        let failures = (priorFailures + sink.failures).filter { f in !all.contains { $0.index == f.index } }
        return ActionResult(output: TargetOutput(actionKey: key, images: all, failures: failures), shortfall: shortfall)
    }

    /// Records how the action ended and returns every image it holds (kept + new), by index.
    @discardableResult
    private func finish(_ key: String, kept: [ActionImage], sink: DurableSink, total: Int, cache: BuildCache,
                        interrupted: Bool = false) throws -> [ActionImage] {
        let all = (kept + sink.received).sorted { $0.index < $1.index }
        let status: ActionStatus
        if interrupted { status = .running }
        else if all.count >= total { status = .complete }
        else if all.isEmpty { status = .failed }
        else { status = .partial }
        try cache.finishAction(key: key, status: status)
        return all
    }

    /// One image request through the admission path: it reserves the images it asks for, and
    /// what arrived is made durable by the sink.
    package struct Attempt: RequestAttempt {
        package var target: String
        package var model: String
        package var request: ImageRequest
        package var provider: any ImageProvider
        package var sink: DurableSink
        /// Images kept from earlier runs, and the group's size.
        package var kept: Int, total: Int

        package var images: Int { request.maxImages }
        package var arrived: Int { sink.received.count }
        package func send() async throws -> GenerationSummary { try await provider.generate(request, into: sink) }

        /// Every image arrived before the answer broke off (a stream cut before `[DONE]`): nothing
        /// is missing, so the target is done and nothing is asked again.
        package func recover(from error: ProviderError) -> GenerationSummary? {
            kept + sink.received.count >= total ? GenerationSummary(requestID: error.requestID) : nil
        }
    }
}
