import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// Why a request failed, with enough to tell the user what to do and the scheduler whether to retry.
/// Descriptions are built from status, code, message, param and request id only. What of those
/// came from the server was read as `ServerText` (ArkWire), so no key or control character is in one.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The service answered with an HTTP error status.
        case http(status: Int)
        /// The connection failed, was reset, or timed out (curl's code and words).
        case transport(code: Int)
        /// A stream ended before `[DONE]`, or a body was cut short.
        case truncated
        /// The service sent something that is not what the protocol says.
        case protocolViolation
        /// A top-level `error` in a 200 answer, or an `{"error":…}` line inside a stream.
        case service
        /// The service generated (and billed) an image, but its `url` could not be downloaded, even
        /// after retries. Never retried by generating again: that would pay for it twice.
        case notDownloaded(host: String)
        /// No key in the environment; nothing was sent.
        case missingCredentials
        case cancelled
    }

    public var kind: Kind
    public var target: String
    /// The API's error code (`AuthenticationError`, `ModelNotOpen`, …) when it gave one.
    public var code: String?
    public var message: String
    public var param: String?
    public var requestID: String?
    /// `Retry-After`, when the service sent one.
    public var retryAfter: Duration?
    /// How many images of this request had already arrived when it failed.
    public var imagesReceived: Int
    /// How the request's references were written in the manifest (`mascot`, `refs/a.png`), so a
    /// refused input image can be named in the advice.
    public var references: [String] = []
    /// The request went out whole and then no answer came in time: the service may be generating
    /// (and billing) it still, so sending it again could pay twice. Never retried automatically.
    public var mayHaveCharged = false

    public init(_ kind: Kind, target: String, code: String? = nil, message: String, param: String? = nil,
                requestID: String? = nil, retryAfter: Duration? = nil, imagesReceived: Int = 0) {
        self.kind = kind
        self.target = target
        self.code = code
        self.message = message
        self.param = param
        self.requestID = requestID
        self.retryAfter = retryAfter
        self.imagesReceived = imagesReceived
    }

    public var status: Int? {
        if case .http(let s) = kind { return s }
        return nil
    }

    /// Only rate limits, server errors, transport failures and timeouts are worth another try,
    /// and only while nothing of the request has arrived (a retry would pay twice). A 429 that
    /// reports a quota or spend cap is not: waiting a few seconds cannot lift it.
    public var isRetryable: Bool {
        guard imagesReceived == 0, !mayHaveCharged else { return false }
        switch kind {
        case .http(let status): return (status == 429 && !isQuota) || status >= 500
        case .transport, .truncated: return true
        case .service: return code == "InternalServiceError" || code == "ServerOverloaded"
        case .protocolViolation, .notDownloaded, .missingCredentials, .cancelled: return false
        }
    }

    /// A 429 about the request rate (slow down and retry), not about a quota or spend cap.
    public var isRateLimit: Bool { status == 429 && !isQuota }

    /// 429 codes (and 403 `AccountOverdueError`) that mean the account hit a cap: a quota, a spend
    /// limit set in the console, or an unpaid bill. Retrying cannot fix them.
    package static let quotaCodes: Set<String> = ["QuotaExceeded", "SetLimitExceeded", "AccountOverdueError"]

    package var isQuota: Bool { code.map(Self.quotaCodes.contains) ?? false }

    /// What the user should do about it: every status and code of ark-api.md §8.1 has an answer.
    /// The code decides first (the same code may come as an HTTP status, inside a 200 or as a
    /// stream's error line), then the status, then the kind of failure.
    public var advice: String? {
        if let code, let byCode = Self.advice(code: code, references: references) { return byCode }
        if let status {
            switch status {
            case 400: return "the request was rejected as invalid; run 'assetbuild validate' and check the option named above"
            case 401: return "check that ARK_API_KEY (or provider.api_key_env) holds a valid Ark API key"
            case 403: return "the key may not access this model or endpoint: check its permissions in the Ark console"
            case 404: return "check the model id or endpoint id; the account may not have access to it"
            case 429: return "the account's rate limit was hit: lower provider.rate_limits or provider.concurrency"
            // Said when the target has failed: whatever retries there were are over.
            case 500...: return "the service failed (HTTP \(status)); such failures are retried up to provider.max_attempts times while nothing of the answer has arrived, and this one still failed; if it persists, try again later"
            default: return nil
            }
        }
        switch kind {
        case .transport(let code) where code == 28 && mayHaveCharged:
            return "the request was sent and no answer came in time; the service may still have generated and billed it, so it was not sent again: check the usage in the Ark console before building again, and raise provider.stall_timeout (or set stream: true, which shows each image as it is done)"
        case .transport(let code) where code == 28:
            return "nothing arrived for too long; check the network, or raise provider.stall_timeout if generations are slow"
        case .transport: return "check the network and provider.base_url (or ARK_BASE_URL)"
        case .truncated: return "the answer stopped before its end; images that arrived were kept"
        case .service: return "the service reported an error inside its answer; images that arrived were kept; build again later"
        case .notDownloaded(let host):
            return "it was generated and billed, and this build will not pay for it again: check that this machine can reach \(host) (proxy, firewall), then build again (which generates it anew)"
        default: return nil
        }
    }

    /// Advice that the API's code alone decides, whatever the status it came with.
    package static func advice(code: String, references: [String]) -> String? {
        switch code {
        case "AuthenticationError":
            return "check that ARK_API_KEY (or provider.api_key_env) holds a valid Ark API key"
        case "AccountOverdueError":
            return "the account is overdue: top it up in the Ark console; retrying cannot fix it"
        case "AccessDenied":
            return "the key may not access this model or endpoint: check its permissions in the Ark console"
        case "ModelNotOpen":
            return "activate the model in the Ark console (开通管理), then build again"
        case "InvalidEndpointOrModel.NotFound":
            return "the model or endpoint id does not exist or the account cannot see it: check the id (and provider.endpoints)"
        case "InvalidEndpointOrModel.ModelIDAccessDisabled":
            return "access by this model id is disabled for the account: enable it in the Ark console, or call the model through an endpoint (ep-…)"
        case "UnsupportedModel":
            return "this model cannot generate images here: use a Seedream model (see 'assetbuild models')"
        case "InvalidEndpoint.ClosedEndpoint":
            return "the endpoint is closed: reopen it in the Ark console, or map the model to another endpoint in provider.endpoints"
        case "QuotaExceeded", "SetLimitExceeded":
            return "the account's quota or spend limit is used up, which retrying cannot fix: check the quota and the spend limit in the Ark console"
        case "ServerOverloaded":
            return "the service is overloaded (its load, not the account's rate); if it persists, try again later"
        case let c where c.hasPrefix("ModelAccount") || c.hasPrefix("RateLimitExceeded") || c == "RequestBurstTooFast"
                || c == "AccountRateLimitExceeded":
            return "the account's rate limit was hit: lower provider.rate_limits or provider.concurrency"
        case "InternalServiceError":
            return "the service failed on its side (images that arrived are kept); if it persists, try again later"
        case "InputTextSensitiveContentDetected":
            return "the prompt was refused by moderation: reword it"
        case let c where c.hasPrefix("InputImageSensitiveContentDetected"):
            let why = c.hasSuffix(".PrivacyInformation") ? " as private information (a real person's face, an ID…)"
                : c.hasSuffix(".RiskDetection") ? " by risk detection" : " by moderation"
            switch references.count {
            case 0: return "an input image was refused\(why), but the request has no references: check the prompt and the inputs"
            case 1: return "the reference image '\(references[0])' was refused\(why): replace it"
            default:
                return "one of the reference images (\(references.map { "'\($0)'" }.joined(separator: ", ")))"
                    + " was refused\(why): find it (try them one at a time) and replace it"
            }
        case "LengthFinishReason":
            return "raise max_tokens (or ask for a shorter reply), then build again"
        case "ContentFilterFinishReason":
            return "reword the prompt (or the system prompt), then build again"
        case "OutputImageSensitiveContentDetected":
            return "the generated image was refused by moderation: reword the prompt"
        case let c where c.contains("SensitiveContent"):
            return "the request was refused by moderation: reword the prompt or replace the references"
        default:
            return nil
        }
    }

    public var description: String {
        var parts = ["\(target): "]
        switch kind {
        case .http(let s): parts.append("HTTP \(s)")
        case .transport(let c): parts.append("network error (curl \(c))")
        case .truncated: parts.append("answer cut short")
        case .protocolViolation: parts.append("unexpected answer")
        case .service: parts.append("service error")
        case .notDownloaded: parts.append("image generated but not downloaded")
        case .missingCredentials: parts.append("cannot send")
        case .cancelled: parts.append("cancelled")
        }
        if let code { parts.append(" \(code)") }
        // The service often ends its message with "Request ID: <id>": say the id once, below.
        var text = message
        if let requestID, let r = text.range(of: "request id: " + requestID, options: [.caseInsensitive, .backwards]) {
            text.removeSubrange(r)
            while text.last == " " { text.removeLast() }
        }
        parts.append(": \(text)")
        if let param, !param.isEmpty { parts.append(" (param '\(param)')") }
        if let requestID { parts.append(" [request id \(requestID)]") }
        if imagesReceived > 0 { parts.append(" after \(imagesReceived) image(s) arrived") }
        if let advice { parts.append("; \(advice)") }
        return parts.joined()
    }
}
