import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// Fetching an image by GET: what a generated image's URL (`response_format: url`) and a pinned
/// reference URL both need. It retries what a host may get over (408, 429, 5xx, connection
/// errors, stalls, a body cut short) with doubling waits of at least `Retry-After`, and takes the
/// bytes only when their header is an image's: an HTML error page is never stored as one.
public enum ImageDownload {
    /// How often a download is tried before giving up on it, and how long to wait between tries.
    public struct Retry: Sendable {
        public var attempts: Int
        public var baseDelay: Duration
        public var maxDelay: Duration

        public init(attempts: Int = 4, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(8)) {
            self.attempts = max(1, attempts)
            self.baseDelay = baseDelay
            self.maxDelay = maxDelay
        }

        /// The wait after failed attempt `attempt` (from 1): doubling, at least `Retry-After`, capped.
        public func delay(after attempt: Int, retryAfter: Duration? = nil) -> Duration {
            let doubled = baseDelay * Int(1 << min(max(0, attempt - 1), 16))
            return min(max(doubled, retryAfter ?? .zero), maxDelay)
        }
    }

    /// A download that failed for good: why (the last attempt's reason), after how many attempts.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// The host answered, but not with an image (a 200 holding an HTML page, say).
        public var notImage: Bool
        public var reason: String
        public var attempts: Int
        public var description: String { reason }
    }

    /// The image at `request.url`; throws `Failure`, or `CancellationError` from `sleep`.
    public static func fetch(_ request: TransportRequest, over transport: any HTTPTransport, retry: Retry,
                             sleep: @Sendable (Duration) async throws -> Void,
                             now: @Sendable () -> Date = { Date() }) async throws -> Data {
        var attempt = 1
        while true {
            var why = ""
            var retryAfter: Duration?
            do {
                let answer = try await transport.send(request)
                if answer.status == 200 {
                    switch imageCheck(answer.body) {
                    case nil: return answer.body
                    case .cut(let what): why = what
                    case .notImage(let what):
                        let type = answer.headers["Content-Type"].map { "\(ServerText($0)), " } ?? ""
                        throw Failure(notImage: true, reason: "HTTP 200 but \(type)\(answer.body.count) bytes that are \(what)",
                                      attempts: attempt)
                    }
                } else {
                    why = "HTTP \(answer.status)"
                    // A 4xx other than 408 and 429 means the URL itself is refused: asking again won't help.
                    guard answer.status == 408 || answer.status == 429 || answer.status >= 500 else {
                        throw Failure(notImage: false, reason: why, attempts: attempt)
                    }
                    retryAfter = ArkWire.parseRetryAfter(answer.headers["Retry-After"], now: now())
                }
            } catch let error as TransportError {
                why = "curl \(error.code): \(ServerText(error.message))"
            }
            guard attempt < retry.attempts else { throw Failure(notImage: false, reason: why, attempts: attempt) }
            try await sleep(retry.delay(after: attempt, retryAfter: retryAfter))
            attempt += 1
        }
    }

    package enum ImageCheck { case cut(String), notImage(String) }

    /// Whether bytes are a whole image by their header and end marker (`ImageProbe.probeWhole`),
    /// whatever size an answer claimed: a body cut short is worth another try.
    package static func imageCheck(_ bytes: Data) -> ImageCheck? {
        guard !bytes.isEmpty else { return .cut("an empty body") }
        do {
            _ = try ImageProbe.probeWhole(bytes)
            return nil
        } catch .truncated {
            return .cut("an image cut short (\(bytes.count) bytes)")
        } catch .incomplete(let why) {
            return .cut("an image cut short (\(why), \(bytes.count) bytes)")
        } catch {
            let start = ArkWire.plainText(bytes, limit: 40)  // scrubbed before it is cut
            return .notImage("not an image (\(error)\(start.isEmpty ? "" : ": '\(start)'"))")
        }
    }
}
