@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

/// Every status and code of ark-api.md §8.1 gets a "what to do", and the right retry decision.
@Suite struct ArkAdviceTests {
    struct Row: CustomStringConvertible, Sendable {
        var kind: ProviderError.Kind
        var code: String?
        var says: [String]
        var retryable: Bool
        var never: [String] = []
        var description: String { "\(kind) \(code ?? "-")" }
    }

    static let rateAdvice = "lower provider.rate_limits"
    static let rows: [Row] = [
        // 5xx and errors inside a 200 (a top-level `error`, a stream's `{"error":…}` line)
        Row(kind: .http(status: 500), code: "InternalServiceError", says: ["failed on its side", "try again later"], retryable: true),
        Row(kind: .http(status: 502), code: nil, says: ["HTTP 502", "this one still failed", "try again later"], retryable: true),
        Row(kind: .http(status: 503), code: nil, says: ["retried up to provider.max_attempts times while nothing of the answer has arrived, and this one still failed"], retryable: true),
        Row(kind: .service, code: "InternalServiceError", says: ["failed on its side", "images that arrived are kept"], retryable: true),
        Row(kind: .service, code: "BadRequest", says: ["inside its answer", "images that arrived were kept"], retryable: false),
        Row(kind: .service, code: nil, says: ["inside its answer"], retryable: false),
        // 400
        Row(kind: .http(status: 400), code: "MissingParameter", says: ["assetbuild validate"], retryable: false),
        Row(kind: .http(status: 400), code: "InvalidParameter", says: ["assetbuild validate"], retryable: false),
        Row(kind: .http(status: 400), code: "InvalidEndpoint.ClosedEndpoint", says: ["endpoint is closed", "reopen it in the Ark console", "provider.endpoints"], retryable: false),
        Row(kind: .http(status: 400), code: "SensitiveContentDetected", says: ["moderation", "reword the prompt or replace the references"], retryable: false),
        Row(kind: .http(status: 400), code: "InputTextSensitiveContentDetected", says: ["the prompt was refused", "reword it"], retryable: false),
        Row(kind: .http(status: 400), code: "InputImageSensitiveContentDetected", says: ["input image was refused by moderation", "the prompt and the inputs"], retryable: false),
        Row(kind: .http(status: 400), code: "InputImageSensitiveContentDetected.PrivacyInformation", says: ["private information"], retryable: false),
        Row(kind: .http(status: 400), code: "InputImageSensitiveContentDetected.RiskDetection", says: ["risk detection"], retryable: false),
        Row(kind: .http(status: 400), code: "OutputImageSensitiveContentDetected", says: ["generated image was refused", "reword the prompt"], retryable: false),
        // 401, 403, 404
        Row(kind: .http(status: 401), code: "AuthenticationError", says: ["ARK_API_KEY"], retryable: false),
        Row(kind: .http(status: 401), code: nil, says: ["ARK_API_KEY"], retryable: false),
        Row(kind: .http(status: 403), code: "AccountOverdueError", says: ["overdue", "top it up in the Ark console"], retryable: false),
        Row(kind: .http(status: 403), code: "AccessDenied", says: ["permissions in the Ark console"], retryable: false),
        Row(kind: .http(status: 404), code: "InvalidEndpointOrModel.NotFound", says: ["does not exist", "provider.endpoints"], retryable: false),
        Row(kind: .http(status: 404), code: "ModelNotOpen", says: ["activate the model in the Ark console"], retryable: false),
        Row(kind: .http(status: 404), code: "InvalidEndpointOrModel.ModelIDAccessDisabled", says: ["disabled", "endpoint"], retryable: false),
        Row(kind: .http(status: 404), code: "UnsupportedModel", says: ["Seedream model"], retryable: false),
        // 429: the rate (retry, slow down), the service's load (retry, wait), caps (do not retry)
        Row(kind: .http(status: 429), code: "ModelAccountIpmRateLimitExceeded", says: [rateAdvice], retryable: true),
        Row(kind: .http(status: 429), code: "ModelAccountRpmRateLimitExceeded", says: [rateAdvice], retryable: true),
        Row(kind: .http(status: 429), code: "RateLimitExceeded.EndpointRPMExceeded", says: [rateAdvice], retryable: true),
        Row(kind: .http(status: 429), code: "RateLimitExceeded.EndpointTPMExceeded", says: [rateAdvice], retryable: true),
        Row(kind: .http(status: 429), code: "RequestBurstTooFast", says: [rateAdvice], retryable: true),
        Row(kind: .http(status: 429), code: "AccountRateLimitExceeded", says: [rateAdvice], retryable: true),
        Row(kind: .http(status: 429), code: nil, says: [rateAdvice], retryable: true),
        Row(kind: .http(status: 429), code: "ServerOverloaded", says: ["overloaded", "try again later"], retryable: true,
            never: ["rate_limits"]),
        Row(kind: .http(status: 429), code: "QuotaExceeded", says: ["quota", "spend limit", "retrying cannot fix"], retryable: false,
            never: ["rate_limits"]),
        Row(kind: .http(status: 429), code: "SetLimitExceeded", says: ["quota", "spend limit", "retrying cannot fix"], retryable: false,
            never: ["rate_limits"]),
        Row(kind: .http(status: 429), code: "AccountOverdueError", says: ["top it up", "retrying cannot fix"], retryable: false,
            never: ["rate_limits"]),
        // Not the service's answers
        Row(kind: .transport(code: 7), code: nil, says: ["provider.base_url"], retryable: true),
        Row(kind: .transport(code: 28), code: nil, says: ["provider.stall_timeout"], retryable: true),
        Row(kind: .truncated, code: nil, says: ["images that arrived were kept"], retryable: true),
        Row(kind: .notDownloaded(host: "tos.example"), code: "ImageDownloadFailed", says: ["billed", "tos.example", "will not pay for it again"], retryable: false),
    ]

    @Test(arguments: rows) func every_code_says_what_to_do(_ row: Row) throws {
        let e = ProviderError(row.kind, target: "poster", code: row.code, message: "m")
        let advice = try #require(e.advice, "no advice for \(row)")
        for words in row.says { #expect(advice.contains(words), "\(row): \(advice)") }
        for words in row.never { #expect(!advice.contains(words), "\(row): \(advice)") }
        // Said once the target has failed: nothing is "retried automatically" any more.
        #expect(!advice.contains("retried automatically"), "\(row): \(advice)")
        #expect(e.isRetryable == row.retryable, "\(row)")
        #expect(e.description.hasSuffix("; " + advice))
        // The scheduler's policy follows isRetryable; caps are never waited on at the gate.
        let policy = RetryPolicy(maxAttempts: 4, maxTotal: .seconds(600))
        #expect((policy.delay(after: e, attempt: 1, elapsed: .zero) != nil) == row.retryable, "\(row)")
        if row.code.map(ProviderError.quotaCodes.contains) == true { #expect(!e.isRateLimit) }
    }

    @Test func a_refused_input_image_is_named() {
        func advice(_ refs: [String], _ code: String = "InputImageSensitiveContentDetected") -> String {
            var e = ProviderError(.http(status: 400), target: "hero", code: code, message: "m")
            e.references = refs
            return e.advice ?? ""
        }
        #expect(advice(["mascot"]).contains("the reference image 'mascot' was refused by moderation: replace it"))
        let several = advice(["mascot", "refs/bg.png", "poses[2]"])
        #expect(several.contains("one of the reference images ('mascot', 'refs/bg.png', 'poses[2]')"), "\(several)")
        #expect(advice([]).contains("no references: check the prompt and the inputs"))
        #expect(advice(["mascot"], "InputImageSensitiveContentDetected.PrivacyInformation")
            .contains("'mascot' was refused as private information"))
    }

    @Test func per_image_failures_say_what_to_do() {
        let moderated = ImageFailure(index: 1, code: "OutputImageSensitiveContentDetected", message: "m")
        #expect(moderated.advice.contains("reword the prompt") && moderated.advice.contains("went on"))
        let stopped = ImageFailure(index: 2, code: "InternalServiceError", message: "m")
        #expect(stopped.advice.contains("stopped the group") && stopped.advice.contains("asks only for the missing images"))
    }

    /// The labels travel from the request into the error the client throws.
    @Test func the_client_names_the_request_references() async throws {
        try await withArk { h in
            h.fake.enqueue(.status(400, code: "InputImageSensitiveContentDetected",
                                   message: "The request failed because the input image may contain sensitive information."))
            var r = request(references: [.bytes(tinyPNG, format: "png"), .bytes(tinyPNG, format: "png")])
            r.referenceLabels = ["mascot", "refs/bg.png"]
            let error = await providerError { _ = try await h.client.generate(r, into: RecordingSink()) }
            #expect(error?.description.contains("('mascot', 'refs/bg.png')") == true, "\(String(describing: error))")
        }
    }

    @Test func ipm_429_carries_the_message_and_param_the_service_gives() async throws {
        try await withArk({
            $0.imagesPerMinute = 1
            $0.rateLimitMessage = "IPM limit of doubao-seedream-4-5 exceeded, try later."
            $0.rateLimitParam = "model"
            $0.rateLimitRetryAfter = .none
        }) { h in
            _ = try await h.client.generate(request(), into: RecordingSink())
            let error = await providerError { _ = try await h.client.generate(request(), into: RecordingSink()) }
            #expect(error?.status == 429 && error?.param == "model" && error?.retryAfter == nil)
            #expect(error?.message.hasPrefix("IPM limit of doubao-seedream-4-5 exceeded, try later.") == true)
            #expect(error?.description.contains("(param 'model')") == true)
            #expect(error?.advice?.contains(Self.rateAdvice) == true)
        }
    }
}
