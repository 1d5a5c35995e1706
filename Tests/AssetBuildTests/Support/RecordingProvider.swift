import Foundation
import Synchronization
@testable import AssetBuildCore

/// A provider test double in the spirit of Ninja's `commands_ran_`: it records every request and
/// answers with real JPEGs, either rendered by `DraftProvider` or (by default, for speed) tiny
/// solid-colour images whose bytes depend only on the request's inputs, so the same inputs give the
/// same bytes (early cutoff works) and different inputs give different bytes.
///
/// Failures and timing are scripted per target: `fail(_:)` makes a target's requests throw a
/// non-retryable error, `hold(_:)` parks a target's request until `release(_:)`, so tests can see
/// what runs concurrently without sleeping.
final class RecordingProvider: ImageProvider, TextProvider {
    enum Rendering { case tiny, draft }

    private struct State {
        var requests: [ImageRequest] = []
        var textRequests: [TextRequest] = []
        var failing: [String: ProviderError] = [:]
        var held: [String: [CheckedContinuation<Void, Never>]] = [:]
        var holding: Set<String> = []
        var inFlight = 0
        var maxInFlight = 0
        var started: [String] = []
    }

    let name: String
    /// A provider named like the draft one is free, as the draft is.
    var isFree: Bool { name == "draft" }
    let rendering: Rendering
    private let state = Mutex(State())

    init(name: String = "draft", rendering: Rendering = .tiny) {
        self.name = name
        self.rendering = rendering
    }

    /// Targets whose requests were sent, in the order they were sent (Ninja's `commands_ran_`).
    var actionsRan: [String] { state.withLock { $0.requests.map(\.target) + $0.textRequests.map(\.target) } }
    var requests: [ImageRequest] { state.withLock { $0.requests } }
    /// Targets whose request reached the provider, in order (images and text).
    var started: [String] { state.withLock { $0.started } }
    var peakConcurrency: Int { state.withLock { $0.maxInFlight } }

    func reset() { state.withLock { $0.requests = []; $0.textRequests = []; $0.started = []; $0.maxInFlight = 0 } }

    func fail(_ target: String, code: String = "InvalidParameter", status: Int = 400) {
        state.withLock {
            $0.failing[target] = ProviderError(.http(status: status), target: target, code: code, message: "scripted failure")
        }
    }

    /// Requests for `target` wait in the provider until `release(target)`.
    func hold(_ target: String) { state.withLock { _ = $0.holding.insert(target) } }

    func release(_ target: String) {
        let waiting: [CheckedContinuation<Void, Never>] = state.withLock {
            $0.holding.remove(target)
            return $0.held.removeValue(forKey: target) ?? []
        }
        for c in waiting { c.resume() }
    }

    /// Waits (polling briefly) until `target`'s request has reached the provider.
    func waitUntilStarted(_ target: String, timeout: Duration = .seconds(60)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while !started.contains(target) {
            if clock.now > deadline { throw TestSupportError("'\(target)' never started; started: \(started)") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    private func enter(_ target: String) async throws {
        let mustWait: Bool = state.withLock {
            $0.started.append(target)
            $0.inFlight += 1
            $0.maxInFlight = max($0.maxInFlight, $0.inFlight)
            return $0.holding.contains(target)
        }
        if mustWait {
            // A held request gives up when its task is cancelled, as a real request would.
            await withTaskCancellationHandler {
                await withCheckedContinuation { c in
                    let resumeNow: Bool = state.withLock {
                        guard $0.holding.contains(target), !Task.isCancelled else { return true }
                        $0.held[target, default: []].append(c)
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            } onCancel: {
                self.release(target)
            }
            if Task.isCancelled {
                leave()
                throw CancellationError()
            }
        }
        if let error = state.withLock({ $0.failing[target] }) {
            leave()
            throw error
        }
    }

    private func leave() { state.withLock { $0.inFlight -= 1 } }

    func generate(_ request: ImageRequest, into sink: any ImageSink) async throws -> GenerationSummary {
        state.withLock { $0.requests.append(request) }
        try await enter(request.target)
        defer { leave() }
        switch rendering {
        case .draft:
            return try await DraftProvider().generate(request, into: sink)
        case .tiny:
            var key = SHA256()
            key.update("\(request.model)\n\(request.prompt)\n\(request.size ?? "")\n\(request.maxImages)")
            for ref in request.references {
                switch ref {
                case .bytes(let d, _): key.update(d)
                case .url(let u): key.update(u)
                }
            }
            let digest = Array(key.finalize().bytes)
            let count = max(1, request.maxImages)
            for i in 0..<count {
                try Task.checkCancellation()
                let color = RGBColor(digest[i % 32], digest[(i + 7) % 32], UInt8(truncatingIfNeeded: i * 40))
                let data = try JPEGCodec.encode(RGBImage(width: 16, height: 16, color: color))
                try await sink.imageReceived(ReceivedImage(index: i, data: data, reportedWidth: 16, reportedHeight: 16))
            }
            return GenerationSummary(usage: Usage(generatedImages: count, outputTokens: 1, totalTokens: 1),
                                     requestID: "rec-\(request.target)", model: request.model)
        }
    }

    func complete(_ request: TextRequest) async throws -> TextCompletion {
        state.withLock { $0.textRequests.append(request) }
        try await enter(request.target)
        defer { leave() }
        return try await DraftProvider().complete(request)
    }
}
