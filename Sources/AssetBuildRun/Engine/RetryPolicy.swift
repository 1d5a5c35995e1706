import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders
/// When and how long to wait before trying a failed request again. Only failures that are safe to
/// repeat (429, 5xx, network, timeouts, and only while nothing of the request arrived) are retried;
/// when part of a group arrived, the target fails keeping it, and the next build asks for the rest.
public struct RetryPolicy: Sendable {
    public var maxAttempts: Int
    /// No retry starts after this much time was spent on one request.
    public var maxTotal: Duration
    public var baseDelay: Duration = .milliseconds(500)
    public var maxDelay: Duration = .seconds(30)

    public init(maxAttempts: Int, maxTotal: Duration) {
        self.maxAttempts = maxAttempts
        self.maxTotal = maxTotal
    }

    /// The wait before attempt `attempt + 1` (attempts count from 1), or nil to give up.
    /// `Retry-After` wins when the service sent one; otherwise exponential backoff with jitter.
    public func delay(after error: ProviderError, attempt: Int, elapsed: Duration,
                      random: () -> Double = { Double.random(in: 0.5...1.0) }) -> Duration? {
        guard error.isRetryable, attempt < maxAttempts else { return nil }
        let wait: Duration
        if let after = error.retryAfter {
            wait = after
        } else {
            let exp = baseDelay * Int(1 << min(attempt - 1, 16))
            wait = min(exp, maxDelay) * random()
        }
        guard elapsed + wait <= maxTotal else { return nil }
        return wait
    }
}

extension ProviderError {
    /// The account's images-per-minute limit itself (`ModelAccountIpmRateLimitExceeded`), as
    /// opposed to other 429s (requests per minute, bursts, an overloaded service) that say nothing
    /// about how many images the account may have.
    package var isImagesPerMinuteLimit: Bool { status == 429 && code?.range(of: "Ipm", options: .caseInsensitive) != nil }
}
