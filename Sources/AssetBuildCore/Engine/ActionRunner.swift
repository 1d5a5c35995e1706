import Foundation
import Synchronization

/// Runs one target's action: builds the request from resolved inputs, admits it through the gate,
/// sends it, retries only what is safe to retry, and records the outcome in the cache.
struct ActionRunner: Sendable {
    var cache: BuildCache
    var images: any ImageProvider
    var text: any TextProvider
    var gate: RequestGate
    var retry: RetryPolicy
    var clock: any BuildClock
    var reporter: any BuildReporter
    var stats: BuildStats
    var spend: SpendMeter

    struct Result {
        var output: TargetOutput
        /// Set when fewer images arrived than `min_images`: the target fails, what arrived is kept.
        var shortfall: String?
    }

    func run(_ target: Target, plan: TargetPlan) async throws -> Result {
        guard let fp = plan.fingerprint, let inputs = plan.inputs else {
            throw InputError(target: target.name, message: "internal error: no inputs resolved")
        }
        switch target.kind {
        case .image(let spec): return try await runImages(target, spec: spec, plan: plan, fp: fp, inputs: inputs)
        case .text(let spec): return try await runText(target, spec: spec, fp: fp, inputs: inputs)
        case .book(let spec): return try runBook(target, spec: spec, fp: fp, inputs: inputs)
        }
    }

    private func runImages(_ target: Target, spec: ImageSpec, plan: TargetPlan, fp: Fingerprint,
                           inputs: ResolvedInputs) async throws -> Result {
        try cache.beginAction(key: fp.key, target: target.name, componentsJSON: fp.recordJSON, kind: .images)
        let kept = plan.action?.images ?? []
        var references: [ReferenceInput] = []
        for ref in inputs.references {
            switch ref.source {
            case .file(let path, let format): references.append(.bytes(try FileOps.read(path), format: format.rawValue))
            case .object(let id, let format): references.append(.bytes(try cache.objects.read(id), format: format.rawValue))
            case .url(let url): references.append(.url(url))
            }
        }
        let total = inputs.images
        let wanted = max(1, total - kept.count)
        var request = ImageRequest(target: target.name, spec: spec, prompt: inputs.prompt, references: references,
                                   maxImages: total > 1 ? wanted : 1)
        request.referenceLabels = inputs.references.map(\.label)
        if !kept.isEmpty, let promptForPlaces = inputs.promptForPlaces {
            // A resumed storybook group describes only the scenes still missing, in the order of
            // the free places they will fill.
            request.prompt = promptForPlaces(DurableSink.freeSlots(total: total, kept: kept))
        }
        let sink = DurableSink(cache: cache, actionKey: fp.key, target: target.name,
                               slots: DurableSink.freeSlots(total: total, kept: kept), reporter: reporter) { [stats, spend] in
            stats.countImages(1)
            spend.charge(model: spec.model.value, images: 1)
        }

        do {
            let summary = try await attempts(
                target: target.name, model: spec.modelInfo.id, images: { request.maxImages },
                unused: { max(0, request.maxImages - sink.received.count) },
                admitted: { reporter.report(.targetStarted(target: target.name, images: request.maxImages, model: spec.modelInfo.id)) },
                adjust: { error in
                    var e = error
                    e.imagesReceived = max(e.imagesReceived, sink.received.count)
                    return e
                },
                recover: { error in
                    // Every image arrived before the answer broke off (a stream cut before
                    // `[DONE]`): nothing is missing, so the target is done and nothing is asked again.
                    kept.count + sink.received.count >= total ? GenerationSummary(requestID: error.requestID) : nil
                }) { try await images.generate(request, into: sink) }
            try cache.recordRequest(actionKey: fp.key, requestID: summary.requestID, usage: summary.usage, model: summary.model)
        } catch let error as ProviderError {
            guard !sink.received.isEmpty else {
                try finish(fp.key, kept: kept, sink: sink, total: total)
                throw error
            }
            // Part of the answer arrived, then it broke off. What arrived is kept and materialized;
            // the rest is not asked for in this build: the service may already have charged for
            // images it never delivered, so asking again is the user's call. The action stays
            // "interrupted", so the next build asks only for the missing places (never for a
            // received image), whatever min_images says.
            let all = try finish(fp.key, kept: kept, sink: sink, total: total, interrupted: true)
            let missing = total - all.count
            let message = "\(error)\n  \(all.count) of \(total) images are kept; the next build asks only for the "
                + "\(missing) missing (not retried now: the service may have charged for images it did not deliver)"
            let failures = ((plan.action?.failures ?? []) + sink.failures).filter { f in !all.contains { $0.index == f.index } }
            return Result(output: TargetOutput(actionKey: fp.key, images: all, failures: failures), shortfall: message)
        } catch {
            // Interrupted: what arrived is kept, and the next build resumes from it.
            _ = try? finish(fp.key, kept: kept, sink: sink, total: total, interrupted: true)
            throw error
        }
        let all = try finish(fp.key, kept: kept, sink: sink, total: total)
        reporter.report(.targetFinished(target: target.name, images: sink.received.count, usage: nil))
        var shortfall: String?
        if all.count < spec.minImages {
            let failures = sink.failures.map { "image \($0.index + 1): \($0.code): \($0.message)" }
            shortfall = "\(all.count) of \(total) images arrived; min_images is \(spec.minImages)"
                + (failures.isEmpty ? " (the model returned fewer images than asked; state the count in the prompt, or lower min_images)"
                   : "\n  " + failures.joined(separator: "\n  "))
        }
        let failures = ((plan.action?.failures ?? []) + sink.failures).filter { f in !all.contains { $0.index == f.index } }
        return Result(output: TargetOutput(actionKey: fp.key, images: all, failures: failures), shortfall: shortfall)
    }

    /// Sends one request through the gate (rate limit, concurrency, budget) and retries what is
    /// safe to retry: 429, 5xx, network errors and timeouts, with backoff or `Retry-After`, each
    /// retry reported, and only while nothing of the request has arrived (a request of which an
    /// image arrived is never sent again in this build). `images` is what an attempt reserves and
    /// `unused` what it gives back; `adjust` records what arrived before an error; `recover` may
    /// turn an error into success (everything had arrived). The retry time limit counts from the
    /// first admission, so time spent queued behind the rate limit does not use it up.
    /// A cancelled request throws `CancellationError`.
    private func attempts<T>(target: String, model: String, images: () -> Int, unused: () -> Int,
                             admitted: () -> Void = {},
                             adjust: (ProviderError) -> ProviderError = { $0 },
                             recover: (ProviderError) -> T? = { _ in nil },
                             send: () async throws -> T) async throws -> T {
        var start: Duration?
        var attempt = 1
        while true {
            try Task.checkCancellation()
            let reserved = images()
            let ticket = try await gate.acquire(model: model, images: reserved)
            if start == nil { start = clock.now() }
            // Checked once admitted, not before waiting: requests queued at the gate while others
            // spent the budget must not go out.
            do {
                try spend.checkBeforeRequest(target: target)
            } catch {
                await gate.release(ticket, unusedImages: reserved)
                throw error
            }
            if attempt == 1 { admitted() }
            do {
                stats.countRequest()
                let value = try await send()
                await gate.release(ticket, unusedImages: unused())
                return value
            } catch let raw as ProviderError {
                let error = adjust(raw)
                if error.kind == .cancelled || Task.isCancelled {
                    await gate.release(ticket, unusedImages: unused())
                    throw CancellationError()
                }
                if let value = recover(error) {
                    await gate.release(ticket, unusedImages: unused())
                    return value
                }
                let elapsed = start.map { clock.now() - $0 } ?? .zero
                let wait = retry.delay(after: error, attempt: attempt, elapsed: elapsed)
                // One step, so no queued request slips out between the slot freeing and the model
                // slowing down (a 429), or the build stopping (a failure without keep-going).
                await gate.release(ticket, unusedImages: unused(), throttled: error.isRateLimit,
                                   retryAfter: error.retryAfter, learnLimit: error.isImagesPerMinuteLimit,
                                   failed: wait == nil)
                guard let wait else { throw error }
                stats.countRetry()
                reporter.report(.retrying(target: target, attempt: attempt + 1, maxAttempts: retry.maxAttempts,
                                          delay: wait, reason: error.description))
                try await clock.sleep(for: wait)
                attempt += 1
            } catch {
                await gate.release(ticket, unusedImages: unused())
                throw error
            }
        }
    }

    /// Records how the action ended and returns every image it holds (kept + new), by index.
    @discardableResult
    private func finish(_ key: String, kept: [ActionImage], sink: DurableSink, total: Int,
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

    /// Assembles a storybook's book from its story and pictures: local work, no request.
    private func runBook(_ target: Target, spec: BookSpec, fp: Fingerprint, inputs: ResolvedInputs) throws -> Result {
        guard let book = inputs.book, var story = BookAssembler.Story.parse(book.story) else {
            throw InputError(target: target.name, message: "the story of '\(spec.story)' cannot be read")
        }
        if let title = spec.title { story.title = title }
        try cache.beginAction(key: fp.key, target: target.name, componentsJSON: fp.recordJSON, kind: .text)
        reporter.report(.targetStarted(target: target.name, images: 0, model: "book"))
        // Pictures are linked relative to the book's own folder.
        let bookDir = (target.outputPath() as NSString).deletingLastPathComponent
        let images = book.pictures.images.map { img -> (index: Int, path: String, width: Int, height: Int) in
            let path = spec.picturesOutput.replacingOccurrences(of: "{n}", with: String(img.index + 1))
            return (img.index, relativePath(path, from: bookDir), img.width, img.height)
        }
        let chinese = StorybookPrompts.isChinese(story.title + story.scenes.joined())
        let (pages, cover) = BookAssembler.pictures(scenes: story.scenes.count, images: images,
                                                    failures: book.pictures.failures, chinese: chinese)
        let html = BookAssembler.html(story: story, pages: pages, cover: cover, pageText: spec.pageText, layout: spec.layout)
        let object = try cache.recordText(actionKey: fp.key, content: html)
        try cache.finishAction(key: fp.key, status: .complete)
        reporter.report(.targetFinished(target: target.name, images: 0, usage: nil))
        let image = ActionImage(index: 0, object: object, width: 0, height: 0, byteCount: html.utf8.count)
        return Result(output: TargetOutput(actionKey: fp.key, images: [image], text: nil), shortfall: nil)
    }

    private func runText(_ target: Target, spec: TextSpec, fp: Fingerprint, inputs: ResolvedInputs) async throws -> Result {
        try cache.beginAction(key: fp.key, target: target.name, componentsJSON: fp.recordJSON, kind: .text)
        let request = TextRequest(target: target.name, spec: spec, system: inputs.system, prompt: inputs.prompt)
        let completion: TextCompletion
        do {
            completion = try await attempts(target: target.name, model: spec.model.value, images: { 0 }, unused: { 0 },
                                            admitted: { reporter.report(.targetStarted(target: target.name, images: 0, model: spec.model.value)) }) {
                try await text.complete(request)
            }
        } catch {
            try? cache.finishAction(key: fp.key, status: .failed)
            throw error
        }
        let content = try TextReply.validate(completion.content, spec: spec, target: target.name, cache: cache)
        let object = try cache.recordText(actionKey: fp.key, content: content)
        try cache.recordRequest(actionKey: fp.key, requestID: completion.requestID, usage: nil, model: spec.model.value)
        try cache.finishAction(key: fp.key, status: .complete)
        reporter.report(.targetFinished(target: target.name, images: 0, usage: nil))
        let image = ActionImage(index: 0, object: object, width: 0, height: 0, byteCount: content.utf8.count)
        return Result(output: TargetOutput(actionKey: fp.key, images: [image], text: content), shortfall: nil)
    }
}

/// Counters shared by every task of a build.
final class BuildStats: Sendable {
    private struct Counts { var requests = 0, retries = 0, images = 0 }
    private let counts = Mutex(Counts())
    var requests: Int { counts.withLock { $0.requests } }
    var retries: Int { counts.withLock { $0.retries } }
    var images: Int { counts.withLock { $0.images } }
    func countRequest() { counts.withLock { $0.requests += 1 } }
    func countRetry() { counts.withLock { $0.retries += 1 } }
    func countImages(_ n: Int) { counts.withLock { $0.images += n } }
}

/// `to` relative to the folder `from` (both relative to the build directory).
func relativePath(_ to: String, from: String) -> String {
    let a = from.split(separator: "/").map(String.init), b = to.split(separator: "/").map(String.init)
    var common = 0
    while common < a.count, common < b.count - 1, a[common] == b[common] { common += 1 }
    return (Array(repeating: "..", count: a.count - common) + b[common...]).joined(separator: "/")
}
