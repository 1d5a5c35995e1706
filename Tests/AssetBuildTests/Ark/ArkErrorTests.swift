@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

/// HTTP errors, transport failures, cancellation and the key's secrecy.
@Suite struct ArkErrorTests {
    @Test func wrong_key_is_401_without_the_key_in_any_text() async throws {
        try await withArk { h in
            let client = ArkClient(baseURL: h.fake.baseURL, apiKey: "sk-wrong-secret-123456", transport: h.transport)
            let error = await providerError { _ = try await client.generate(request(), into: RecordingSink()) }
            let e = try #require(error)
            #expect(e.status == 401 && e.code == "AuthenticationError")
            #expect(e.requestID?.hasPrefix("021") == true)
            #expect(!e.description.contains("sk-wrong-secret-123456"))
            #expect(!"\(e)".contains("sk-wrong-secret-123456") && !String(reflecting: e).contains("sk-wrong-secret-123456"))
            #expect(e.advice?.contains("ARK_API_KEY") == true)
        }
    }

    @Test func model_not_open_is_404() async throws {
        try await withArk({ $0.closedModels = [Models.v40] }) { h in
            let error = await providerError { _ = try await h.client.generate(request(model: Models.v40), into: RecordingSink()) }
            #expect(error?.status == 404 && error?.code == "ModelNotOpen")
            #expect(error?.message.contains("Request ID") == true)
        }
    }

    @Test func rate_limit_with_retry_after_seconds_date_or_none() async throws {
        try await withArk { h in
            h.fake.enqueue(.rateLimited(.seconds(7)), .rateLimited(.httpDate(secondsFromNow: 30)), .rateLimited(.none))
            let a = await providerError { _ = try await h.client.generate(request(), into: RecordingSink()) }
            #expect(a?.status == 429 && a?.code == "ModelAccountIpmRateLimitExceeded")
            #expect(a?.retryAfter == .seconds(7))
            #expect(a?.isRetryable == true && a?.isRateLimit == true)
            let sent = ContinuousClock.now
            let b = await providerError { _ = try await h.client.generate(request(), into: RecordingSink()) }
            let elapsed = ContinuousClock.now - sent
            let wait = try #require(b?.retryAfter)
            // The date is 30 s after the fake answered, in whole seconds; however long the round
            // trip took on a loaded machine, the wait is what remains of it (no speed bound).
            #expect(wait > .seconds(29) - elapsed - .seconds(1) && wait <= .seconds(30), "\(wait), \(elapsed)")
            let c = await providerError { _ = try await h.client.generate(request(), into: RecordingSink()) }
            #expect(c?.status == 429 && c?.retryAfter == nil)
            // The client never retried: three attempts, three requests.
            #expect(h.fake.generationRequests.count == 3)
        }
    }

    @Test func retry_after_parsing() {
        let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(ArkWire.parseRetryAfter("120", now: now) == .seconds(120))
        #expect(ArkWire.parseRetryAfter(" 0 ", now: now) == .zero)
        #expect(ArkWire.parseRetryAfter("Sun, 06 Nov 1994 08:50:37 GMT", now: now) == .seconds(60))
        #expect(ArkWire.parseRetryAfter("Sunday, 06-Nov-94 08:50:07 GMT", now: now) == .seconds(30))
        #expect(ArkWire.parseRetryAfter("Sun Nov  6 08:49:47 1994", now: now) == .seconds(10))
        #expect(ArkWire.parseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == .zero)
        #expect(ArkWire.parseRetryAfter("-5", now: now) == nil)
        #expect(ArkWire.parseRetryAfter("soon", now: now) == nil)
        #expect(ArkWire.parseRetryAfter(nil, now: now) == nil)
    }

    @Test func ipm_limiter_answers_429_once_the_minute_is_full() async throws {
        try await withArk({ $0.imagesPerMinute = 2; $0.rateLimitRetryAfter = .seconds(42) }) { h in
            _ = try await h.client.generate(request(), into: RecordingSink())
            _ = try await h.client.generate(request(), into: RecordingSink())
            let error = await providerError { _ = try await h.client.generate(request(), into: RecordingSink()) }
            #expect(error?.code == "ModelAccountIpmRateLimitExceeded" && error?.retryAfter == .seconds(42))
            _ = try await h.client.generate(request(model: Models.v40), into: RecordingSink())  // per model
        }
    }

    @Test func server_error_is_500_and_retryable() async throws {
        try await withArk { h in
            h.fake.enqueue(.serverError)
            let error = await providerError { _ = try await h.client.generate(request(), into: RecordingSink()) }
            #expect(error?.status == 500 && error?.code == "InternalServiceError" && error?.isRetryable == true)
        }
    }

    @Test func error_bodies_that_are_not_ark_json() async throws {
        #expect(ArkWire.parseError(Data("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>".utf8))
            == .init(message: "502 Bad Gateway"))
        #expect(ArkWire.parseError(Data(#"{"error":"quota"}"#.utf8)) == .init(message: "quota"))
        #expect(ArkWire.parseError(Data(#"{"error":{"code":"X"}}"#.utf8)) == .init(code: "X"))
        #expect(ArkWire.parseError(Data(#"{"code":"Y","message":"m"}"#.utf8)) == .init(code: "Y", message: "m"))
        #expect(ArkWire.parseError(Data()) == .init())
        try await withArk { h in
            h.fake.enqueue(.status(503, code: "", message: "upstream said Bearer \(ArkHarness.key)"))
            let error = await providerError { _ = try await h.client.generate(request(), into: RecordingSink()) }
            #expect(error?.status == 503 && error?.code == nil)
            #expect(error?.description.contains(ArkHarness.key) == false)
            #expect(error?.message.contains("[redacted]") == true)
        }
    }

    @Test func reset_connection_is_a_transport_error_and_never_resent() async throws {
        try await withArk { h in
            _ = try await h.client.generate(request(), into: RecordingSink())  // warm a kept-alive connection
            h.fake.enqueue(.reset)
            let error = await providerError { _ = try await h.client.generate(request(), into: RecordingSink()) }
            let e = try #require(error)
            guard case .transport(let code) = e.kind else {
                Issue.record("expected a transport error, got \(e)")
                return
            }
            #expect([52, 55, 56, 65].contains(code), "curl \(code): \(e.message)")
            if code == 65 { #expect(e.message.contains("not resent")) }
            #expect(e.isRetryable)
            #expect(h.fake.generationRequests.count == 2)
            _ = try await h.client.generate(request(), into: RecordingSink())  // the transport recovers
        }
    }

    @Test func truncated_json_body_is_truncated() async throws {
        try await withArk { h in
            h.fake.enqueue(.truncatedBody)
            let error = await providerError { _ = try await h.client.generate(request(), into: RecordingSink()) }
            #expect(error?.kind == .truncated)
            #expect(error?.message.isEmpty == false)
        }
    }

    @Test func refused_connection_is_curl_7() async throws {
        let transport = CurlTransport()
        defer { transport.shutdown() }
        let client = ArkClient(baseURL: "http://127.0.0.1:1/api/v3", apiKey: ArkHarness.key, transport: transport)
        let error = await providerError { _ = try await client.generate(request(), into: RecordingSink()) }
        #expect(error?.kind == .transport(code: 7))
        #expect(error?.message.contains("127.0.0.1") == true)
        #expect(error?.description.contains(ArkHarness.key) == false)
    }

    @Test func cancellation_removes_the_transfer_promptly() async throws {
        try await withArk { h in
            h.fake.enqueue(.hang, .hang)
            for stream in [false, true] {
                let client = h.client
                let sent = h.fake.generationRequests.count
                let task = Task { try await client.generate(request(stream: stream), into: RecordingSink()) }
                // In flight once the fake has it (an event, not a fixed sleep).
                while h.fake.generationRequests.count == sent { try await Task.sleep(for: .milliseconds(5)) }
                task.cancel()
                // The request itself hangs forever: ending at all, within a generous guard, is the proof.
                let error = try await within(.seconds(60)) { await providerError { _ = try await task.value } } ?? nil
                #expect(error?.kind == .cancelled)
            }
        }
    }

    /// Stall detection (LOW_SPEED_TIME) on a download, which sends no body: curl averages speed
    /// over its last ~5 s, so after an upload a stall is seen up to ~5 s late; a GET shows it at once.
    @Test func a_stalled_download_times_out() async throws {
        try await withArk(timeouts: .init(downloadStall: .seconds(1)), downloadRetry: .init(attempts: 1),
                          { $0.downloadsHang = true }) { h in
            let error = try await within(.seconds(120)) {
                await providerError { _ = try await h.client.generate(request(), into: RecordingSink()) }
            } ?? nil
            #expect(error?.kind == .notDownloaded(host: "127.0.0.1"))
            #expect(error?.message.contains("image 1 was generated but could not be downloaded") == true)
            #expect(error?.message.contains("curl 28") == true, "\(String(describing: error))")
            // The download hangs forever: ending at all (within the guard) proves stall detection.
        }
    }

    @Test func request_id_falls_back_to_echo_then_to_ours() async throws {
        try await withArk({ $0.sendsRequestID = false }) { h in
            h.fake.enqueue(.serverError)
            let error = await providerError { _ = try await h.client.generate(request(), into: RecordingSink()) }
            #expect(error?.requestID == h.fake.generationRequests.last?.header("X-Client-Request-Id"))
        }
        try await withArk({ $0.sendsRequestID = false; $0.echoesClientRequestID = false }) { h in
            let summary = try await h.client.generate(request(), into: RecordingSink())
            #expect(summary.requestID == h.fake.generationRequests.last?.header("X-Client-Request-Id"))
        }
    }

    @Test func seeded_random_faults_are_reproducible() async throws {
        func run() async throws -> [String] {
            try await withArk({ $0.randomFaults = .init(seed: 99, rateLimited: 0.3, serverError: 0.3) }) { h in
                var outcomes: [String] = []
                for _ in 0..<8 {
                    do {
                        _ = try await h.client.generate(request(), into: RecordingSink())
                        outcomes.append("ok")
                    } catch let e as ProviderError {
                        outcomes.append(String(e.status ?? 0))
                    }
                }
                return outcomes
            }
        }
        let first = try await run()
        #expect(try await run() == first)
        #expect(Set(first).count > 1)
    }

    @Test func the_key_appears_in_no_error_of_any_kind() async throws {
        let faults: [FakeArkFault] = [
            .rateLimited(.seconds(1)), .serverError, .reset, .truncatedBody, .truncatedStream(afterImages: 1),
            .errorEvent(afterImages: 0), .status(403, code: "AccessDenied", message: "key \(ArkHarness.key) denied"),
        ]
        try await withArk { h in
            for fault in faults {
                h.fake.enqueue(fault)
                let stream: Bool
                switch fault {
                case .truncatedStream, .errorEvent: stream = true
                default: stream = false
                }
                let error = await providerError {
                    _ = try await h.client.generate(request("2 images", maxImages: 2, stream: stream), into: RecordingSink())
                }
                let e = try #require(error, "\(fault)")
                for text in [e.description, e.message, String(reflecting: e), e.advice ?? ""] {
                    #expect(!text.contains(ArkHarness.key), "\(fault)")
                }
            }
        }
    }

    @Test func size_parsing_tolerates_the_multiplication_sign() {
        #expect(ArkWire.parseSize("2496x1664")! == (2496, 1664))
        #expect(ArkWire.parseSize("1760×2368")! == (1760, 2368))
        #expect(ArkWire.parseSize("2K") == nil)
        #expect(ArkWire.parseSize("0x5") == nil)
        #expect(ArkWire.parseSize(nil) == nil)
    }

    @Test func expired_image_urls_fail_after_trying_every_image() async throws {
        try await withArk({ $0.downloadsExpired = true }) { h in
            let sink = RecordingSink()
            let error = await providerError {
                _ = try await h.client.generate(request("2 images", maxImages: 2), into: sink)
            }
            #expect(error?.kind == .notDownloaded(host: "127.0.0.1") && error?.code == "ImageDownloadFailed")
            #expect(error?.message.contains("HTTP 403") == true)
            #expect(error?.imagesReceived == 0)
            // An expired URL is not worth another GET: one per image.
            #expect(h.fake.downloadRequests.count == 2)
            #expect(h.sleeps.waits.isEmpty)
        }
    }
}
