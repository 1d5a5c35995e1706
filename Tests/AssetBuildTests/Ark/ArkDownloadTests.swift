@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

/// `response_format: url`: the image is paid for once generated, so its download is retried, and
/// what still fails is an error the scheduler never answers by generating again.
@Suite struct ArkDownloadTests {
    @Test(arguments: [FakeDownloadFault.status(503), .status(429), .reset])
    func a_download_failing_once_is_retried_without_a_second_post(_ fault: FakeDownloadFault) async throws {
        try await withArk { h in
            h.fake.enqueueDownload(fault)
            let sink = RecordingSink()
            _ = try await h.client.generate(request(), into: sink)
            #expect(h.fake.generationRequests.count == 1)
            #expect(h.fake.downloadRequests.count == 2)
            #expect(await sink.indices == [0])
            #expect(try ImageProbe.probe(try #require(await sink.images.first).data).format == .jpeg)
            // curl itself resends a GET once when a reused connection turns out dead; a status
            // is ours to retry, after the first backoff step.
            #expect(h.sleeps.waits == (fault == .reset ? [] : [.milliseconds(500)]))
        }
    }

    @Test(arguments: [FakeDownloadFault.status(503), .reset])
    func a_download_failing_always_is_tried_four_times_then_not_retryable(_ fault: FakeDownloadFault) async throws {
        try await withArk({ $0.downloadFault = fault }) { h in
            let sink = RecordingSink()
            let error = await providerError { _ = try await h.client.generate(request(), into: sink) }
            let e = try #require(error)
            #expect(e.kind == .notDownloaded(host: "127.0.0.1"))
            #expect(!e.isRetryable, "generating again would pay for the image twice")
            #expect(e.message.contains("image 1 was generated but could not be downloaded from 127.0.0.1"), "\(e)")
            #expect(e.message.contains("4 attempts"), "\(e)")
            #expect(e.message.contains(fault == .reset ? "curl " : "HTTP 503"), "\(e)")
            #expect(e.advice?.contains("billed") == true && e.advice?.contains("127.0.0.1") == true)
            #expect(e.description.contains("image generated but not downloaded"))
            // The signed URL (a credential of sorts) and the key stay out of every text.
            for text in [e.description, String(reflecting: e)] {
                #expect(!text.contains("X-Tos-Signature") && !text.contains(ArkHarness.key), "\(text)")
            }
            #expect(h.fake.generationRequests.count == 1)
            #expect(h.fake.downloadRequests.count >= 4)
            #expect(h.sleeps.waits == [.milliseconds(500), .seconds(1), .seconds(2)])
            #expect(await sink.images.isEmpty)
        }
    }

    @Test func backoff_doubles_honours_retry_after_and_is_capped() {
        let retry = ArkClient.DownloadRetry(attempts: 6, baseDelay: .milliseconds(500), maxDelay: .seconds(8))
        #expect((1...5).map { retry.delay(after: $0) } == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8)])
        #expect(retry.delay(after: 1, retryAfter: .seconds(3)) == .seconds(3))
        #expect(retry.delay(after: 1, retryAfter: .seconds(60)) == .seconds(8))
        #expect(ArkClient.DownloadRetry(attempts: 0).attempts == 1)
    }

    @Test func an_html_page_instead_of_the_image_is_never_stored() async throws {
        try await withArk({ $0.downloadFault = .html }) { h in
            let sink = RecordingSink()
            let error = await providerError { _ = try await h.client.generate(request(), into: sink) }
            #expect(error?.kind == .notDownloaded(host: "127.0.0.1"))
            #expect(error?.message.contains("not an image") == true, "\(String(describing: error))")
            #expect(error?.message.contains("text/html") == true, "\(String(describing: error))")
            #expect(await sink.images.isEmpty, "the answer gave a size, but the bytes are a web page")
            // A page is a definite answer, not a hiccup: asked once.
            #expect(h.fake.downloadRequests.count == 1)
        }
    }

    @Test func an_inline_image_that_is_not_an_image_is_not_stored() async throws {
        final class HTMLAsBase64: HTTPTransport {
            func send(_ r: TransportRequest) async throws -> TransportResponse {
                let page = Data("<html>busy</html>".utf8).base64EncodedString()
                let body = #"{"model":"m","data":[{"b64_json":"\#(page)","size":"2048x2048"}],"usage":{"generated_images":1,"output_tokens":1,"total_tokens":1}}"#
                return TransportResponse(status: 200, headers: HTTPHeaderFields([("Content-Type", "application/json")]), body: Data(body.utf8))
            }
            func stream(_ r: TransportRequest) async throws -> TransportStream { fatalError("not streamed") }
        }
        let client = ArkClient(baseURL: "http://127.0.0.1:1/api/v3", apiKey: ArkHarness.key, transport: HTMLAsBase64())
        let sink = RecordingSink()
        let error = await providerError { _ = try await client.generate(request(format: .b64Json), into: sink) }
        #expect(error?.kind == .protocolViolation && error?.message.contains("not an image") == true)
        #expect(await sink.images.isEmpty)
    }

    @Test(arguments: [true, false])
    func in_a_group_the_others_arrive_and_the_failure_is_not_retryable(_ stream: Bool) async throws {
        try await withArk({ $0.downloadFault = .status(502); $0.downloadFaultImages = [1] }) { h in
            let sink = RecordingSink()
            let error = await providerError {
                _ = try await h.client.generate(request("3 images", maxImages: 3, stream: stream), into: sink)
            }
            #expect(await sink.indices == [0, 2])
            #expect(error?.kind == .notDownloaded(host: "127.0.0.1") && error?.isRetryable == false)
            #expect(error?.imagesReceived == 2)
            #expect(error?.message.contains("image 2 was generated") == true, "\(String(describing: error))")
            #expect(h.fake.generationRequests.count == 1)
            #expect(h.fake.downloadRequests.count == 1 + 4 + 1)
            // Every image was accounted for: no "lost images" warning on top.
            #expect(await sink.warnings.isEmpty)
        }
    }

    /// A failed download is what the build must hear about, even when the stream then broke
    /// (a retryable failure on its own): the paid image must not be generated again.
    @Test func a_failed_download_outranks_a_later_broken_stream() async throws {
        try await withArk({ $0.downloadFault = .status(404); $0.downloadFaultImages = [0] }) { h in
            h.fake.enqueue(.truncatedStream(afterImages: 1))
            let error = await providerError {
                _ = try await h.client.generate(request("3 images", maxImages: 3, stream: true), into: RecordingSink())
            }
            #expect(error?.kind == .notDownloaded(host: "127.0.0.1") && error?.isRetryable == false)
            #expect(error?.message.contains("then the answer failed") == true, "\(String(describing: error))")
        }
    }
}
