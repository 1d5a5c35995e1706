import Foundation

/// Why a request failed, with enough to tell the user what to do and the scheduler whether to retry.
/// Descriptions are built from status, code, message and request id only: never from headers,
/// so the API key can never appear in one.
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
    /// and only while nothing of the request has arrived (a retry would pay twice).
    public var isRetryable: Bool {
        guard imagesReceived == 0 else { return false }
        switch kind {
        case .http(let status): return status == 429 || status >= 500
        case .transport, .truncated: return true
        case .service: return code == "InternalServiceError" || code == "ServerOverloaded"
        case .protocolViolation, .missingCredentials, .cancelled: return false
        }
    }

    public var isRateLimit: Bool { status == 429 }

    /// What the user should do about it, when there is something to say.
    public var advice: String? {
        switch (status, code) {
        case (401, _): return "check that ARK_API_KEY (or provider.api_key_env) holds a valid Ark API key"
        case (403, "AccountOverdueError"?): return "the account is overdue: top it up in the Ark console"
        case (403, _): return "the key may not access this model or endpoint: check its permissions in the Ark console"
        case (404, "ModelNotOpen"?): return "activate the model in the Ark console (开通管理), then build again"
        case (404, _): return "check the model id or endpoint id; the account may not have access to it"
        case (429, _): return "the account's rate limit was hit: lower provider.rate_limits or provider.concurrency"
        case (400, let c?) where c.contains("SensitiveContent"):
            if c.hasPrefix("InputText") { return "the prompt was refused by moderation: reword it" }
            if c.hasPrefix("InputImage") { return "a reference image was refused by moderation: replace it" }
            if c.hasPrefix("OutputImage") { return "the generated image was refused by moderation: reword the prompt" }
            return "the request was refused by moderation: reword the prompt or replace the references"
        case (400, _): return "the request was rejected as invalid; run 'assetbuild validate' and check the option named above"
        default: break
        }
        switch kind {
        case .transport: return "check the network and provider.base_url (or ARK_BASE_URL)"
        case .truncated: return "the connection dropped mid-answer; images that arrived were kept"
        default: return nil
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
        case .missingCredentials: parts.append("cannot send")
        case .cancelled: parts.append("cancelled")
        }
        if let code { parts.append(" \(code)") }
        parts.append(": \(message)")
        if let param, !param.isEmpty { parts.append(" (param '\(param)')") }
        if let requestID { parts.append(" [request id \(requestID)]") }
        if imagesReceived > 0 { parts.append(" after \(imagesReceived) image(s) arrived") }
        if let advice { parts.append("; \(advice)") }
        return parts.joined()
    }
}
