import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// Text generation: one chat completion (a storybook's story included), its reply checked
/// (`TextReply`) before it is cached; downstream targets read fields of it (`${target.field}`).
package struct TextAction: BuildAction {
    package let target: Target
    package let spec: TextSpec

    package init?(_ target: Target) {
        guard case .text(let spec) = target.kind else { return nil }
        self.target = target
        self.spec = spec
    }

    package var outputIsText: Bool { true }
    package var model: String? { spec.model.value }

    /// What a request is made from, once resolved.
    package struct Inputs: Sendable {
        package var prompt: String
        package var system: String?
    }

    package func resolve(_ inputs: KeyInputs) throws -> ResolvedAction? {
        let prompt = try inputs.render(spec.prompt, for: target)
        // nil: no system prompt; .some(nil): one waiting for an upstream reply.
        let rendered: String?? = try spec.system.map { try inputs.render($0, for: target) }
        guard let prompt, rendered != .some(nil) else { return nil }
        let system = rendered ?? nil
        let c = components(provider: inputs.provider, prompt: prompt, system: system)
        return ResolvedAction(fingerprint: Fingerprint(components: c, referenceLabels: []),
                              inputs: Inputs(prompt: prompt, system: system))
    }

    /// The key: every input that changes the reply, and nothing that does not (DESIGN §4).
    package func components(provider: String, prompt: String, system: String?) -> ActionKeyComponents {
        .text(provider: provider, spec: spec, prompt: prompt, system: system)
    }

    /// The request: what the key describes.
    package func request(prompt: String, system: String?) -> TextRequest {
        TextRequest(target: target.name, spec: spec, system: system, prompt: prompt)
    }

    package func run(_ plan: TargetPlan, resolved: ResolvedAction, in env: ActionEnvironment) async throws -> ActionResult {
        let inputs = try resolved.inputs(as: Inputs.self, target: target.name)
        let key = resolved.fingerprint.key
        let cache = env.cache
        try cache.beginAction(key: key, target: target.name, componentsJSON: resolved.fingerprint.recordJSON, kind: recordKind)
        let completion: TextCompletion
        do {
            completion = try await env.admission.send(Attempt(target: target.name, model: spec.model.value,
                                                              request: request(prompt: inputs.prompt, system: inputs.system),
                                                              provider: env.text))
        } catch {
            try? cache.finishAction(key: key, status: .failed)
            throw error
        }
        let content = try TextReply.validate(completion.content, spec: spec, target: target.name,
                                             rejectedDirectory: env.paths.rejectedReplies, fileSystem: env.fileSystem)
        let object = try cache.recordText(actionKey: key, content: content)
        try cache.recordRequest(actionKey: key, requestID: completion.requestID, usage: nil, model: spec.model.value)
        try cache.finishAction(key: key, status: .complete)
        env.reporter.report(.targetFinished(target: target.name, images: 0, usage: nil))
        let image = ActionImage(index: 0, object: object, width: 0, height: 0, byteCount: content.utf8.count)
        return ActionResult(output: TargetOutput(actionKey: key, images: [image], text: content), shortfall: nil)
    }

    /// One chat completion through the admission path: it reserves no images.
    package struct Attempt: RequestAttempt {
        package var target: String
        package var model: String
        package var request: TextRequest
        package var provider: any TextProvider
        package var images: Int { 0 }
        package func send() async throws -> TextCompletion { try await provider.complete(request) }
    }
}
