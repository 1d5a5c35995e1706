import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders
/// One request of an action, as the admission path needs to know it: what it reserves, what of it
/// arrived, how to send it. `ImageAction` and `TextAction` make one per request.
package protocol RequestAttempt: Sendable {
    associatedtype Value: Sendable
    var target: String { get }
    /// The model the gate limits (and the start is reported under).
    var model: String { get }
    /// Images the request reserves at the gate (0 for text).
    var images: Int { get }
    /// Images of the request that arrived so far (made durable): such a request is never sent again.
    var arrived: Int { get }
    func send() async throws -> Value
    /// Success after all: everything had arrived before the answer broke off.
    func recover(from error: ProviderError) -> Value?
}

extension RequestAttempt {
    package var arrived: Int { 0 }
    package func recover(from error: ProviderError) -> Value? { nil }
}

/// The one path every request takes: the gate (rate limit, concurrency), the budget, then the
/// request, retried only while that is safe: 429, 5xx, network errors and timeouts, with backoff
/// or `Retry-After`, each retry reported, and only while nothing of the request has arrived (a
/// request of which an image arrived is never sent again in this build). The retry time limit
/// counts from the first admission, so time spent queued behind the rate limit does not use it
/// up. A cancelled request throws `CancellationError`; every admitted attempt gives its slot back.
package struct RequestAdmission: Sendable {
    package var gate: RequestGate
    package var retry: RetryPolicy
    package var clock: any BuildClock
    package var reporter: any BuildReporter
    package var stats: BuildStats
    package var spend: SpendMeter

    package func send<A: RequestAttempt>(_ request: A) async throws -> A.Value {
        var start: Duration?
        var attempt = 1
        while true {
            try Task.checkCancellation()
            let reserved = request.images
            let ticket = try await gate.acquire(model: request.model, images: reserved)
            if start == nil { start = clock.now() }
            // Checked once admitted, not before waiting: requests queued at the gate while others
            // spent the budget must not go out.
            do {
                try spend.checkBeforeRequest(target: request.target)
            } catch {
                await gate.release(ticket, unusedImages: reserved)
                throw error
            }
            if attempt == 1 {
                reporter.report(.targetStarted(target: request.target, images: reserved, model: request.model))
            }
            func unused() -> Int { max(0, reserved - request.arrived) }
            do {
                stats.countRequest()
                let value = try await request.send()
                await gate.release(ticket, unusedImages: unused())
                return value
            } catch let raw as ProviderError {
                var error = raw
                error.imagesReceived = max(error.imagesReceived, request.arrived)
                if error.kind == .cancelled || Task.isCancelled {
                    await gate.release(ticket, unusedImages: unused())
                    throw CancellationError()
                }
                if let value = request.recover(from: error) {
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
                reporter.report(.retrying(target: request.target, attempt: attempt + 1, maxAttempts: retry.maxAttempts,
                                          delay: wait, reason: error.description))
                try await clock.sleep(for: wait)
                attempt += 1
            } catch {
                await gate.release(ticket, unusedImages: unused())
                throw error
            }
        }
    }

    /// Memberwise, spelled out so the other targets of the package can call it.
    package init(gate: RequestGate, retry: RetryPolicy, clock: any BuildClock, reporter: any BuildReporter, stats: BuildStats, spend: SpendMeter) {
        self.gate = gate
        self.retry = retry
        self.clock = clock
        self.reporter = reporter
        self.stats = stats
        self.spend = spend
    }
}
