@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

/// What a broken or hostile service sends (issue 14 items 6, 7, 9, 14, 17), through the real
/// client and transport against the fake: every paid image that is an image is kept, the rest is
/// refused with a reason, and nothing crashes.
@Suite struct ArkHostileAnswerTests {
    // MARK: item 6: bad image_index

    @Test(arguments: [(FakeArkBehavior.BadImageIndex.negative, [0, 2], "image_index -1"),
                      (.beyond, [0, 2], "image_index 40"),
                      (.repeated, [0], "image_index 0 again")])
    func a_bad_stream_index_is_a_protocol_error_that_keeps_the_rest(
        _ mode: FakeArkBehavior.BadImageIndex, _ kept: [Int], _ words: String) async throws {
        try await withArk({ $0.badImageIndex = mode; $0.answerSize = (64, 64) }) { h in
            let sink = RecordingSink()
            let error = await providerError {
                _ = try await h.client.generate(request("3 images", maxImages: 3, stream: true, format: .b64Json), into: sink)
            }
            #expect(error?.kind == .protocolViolation, "\(String(describing: error))")
            #expect(error?.message.contains(words) == true, "\(String(describing: error))")
            #expect(error?.imagesReceived == kept.count)
            #expect(error?.isRetryable == false, "the images were billed: never asked again blindly")
            #expect(await sink.indices == kept)
            #expect(h.fake.generationRequests.count == 1)
        }
    }

    // MARK: item 7: images checked whole

    @Test(arguments: [FakeArkBehavior.BrokenImage.truncated, .bareHeader, .gif, .bomb],
          [ResponseFormat.b64Json, .url])
    func a_broken_image_fails_that_image_and_the_others_are_kept(_ broken: FakeArkBehavior.BrokenImage,
                                                                  _ format: ResponseFormat) async throws {
        try await withArk(downloadRetry: .init(attempts: 2), {
            $0.brokenImages = broken
            $0.brokenImageIndexes = [1]
            $0.answerSize = (64, 64)
        }) { h in
            let sink = RecordingSink()
            let error = await providerError {
                _ = try await h.client.generate(request("3 images", maxImages: 3, format: format), into: sink)
            }
            #expect(await sink.indices == [0, 2])
            let images = await sink.images
            #expect(images.allSatisfy { (try? ImageVerifier.verify($0.data))?.format == .jpeg })
            // A download cut short is worth another try (a storage hiccup) before it counts as
            // not downloaded; any other broken image is refused as that image's failure.
            if format == .url && (broken == .truncated || broken == .bareHeader) {
                #expect(error?.kind == .notDownloaded(host: "127.0.0.1"), "\(String(describing: error))")
            } else {
                #expect(error?.kind == .protocolViolation, "\(String(describing: error))")
                #expect(error?.message.hasPrefix("image 2 is ") == true, "\(String(describing: error))")
                let failures = await sink.failures
                #expect(failures.map(\.index) == [1] && failures.first?.code == GeneratedImage.refusedCode, "\(failures)")
            }
            #expect(error?.imagesReceived == 2 && error?.isRetryable == false)
            #expect(h.fake.generationRequests.count == 1)
        }
    }

    @Test(arguments: [ResponseFormat.b64Json, .url])
    func a_png_where_a_jpeg_was_promised_is_kept_as_a_jpeg(_ format: ResponseFormat) async throws {
        try await withArk({ $0.brokenImages = .png; $0.answerSize = (40, 30) }) { h in
            let sink = RecordingSink()
            _ = try await h.client.generate(request(format: format), into: sink)
            let image = try #require(await sink.images.first)
            #expect(try ImageVerifier.verify(image.data) == ImageInfo(format: .jpeg, width: 40, height: 30))
            let warnings = await sink.warnings
            #expect(warnings.contains { $0.contains("converted to JPEG") }, "\(warnings)")
        }
    }

    @Test func a_bomb_is_refused_before_anything_is_decoded() throws {
        var jpeg = try JPEGCodec.encode(RGBImage(width: 16, height: 16, color: RGBColor(1, 2, 3)))
        let sof = try #require(jpeg.range(of: Data([0xFF, 0xC0])))
        jpeg.replaceSubrange(sof.lowerBound + 5..<sof.lowerBound + 9, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: ImageVerifier.Failure.tooLarge(width: 65_535, height: 65_535)) { try ImageVerifier.verify(jpeg) }
    }

    @Test func the_recorded_size_is_the_images_own_not_the_claim() async throws {
        final class Claims4K: HTTPTransport {
            let image = try! JPEGCodec.encode(RGBImage(width: 32, height: 24, color: RGBColor(9, 9, 9)))
            func send(_ r: TransportRequest) async throws -> TransportResponse {
                let body = #"{"data":[{"b64_json":"\#(image.base64EncodedString())","size":"4096x4096"}]}"#
                return TransportResponse(status: 200, headers: HTTPHeaderFields(), body: Data(body.utf8))
            }
            func stream(_ r: TransportRequest) async throws -> TransportStream { fatalError("not streamed") }
        }
        let client = ArkClient(baseURL: "http://127.0.0.1:1/api/v3", apiKey: ArkHarness.key, transport: Claims4K())
        let sink = RecordingSink()
        _ = try await client.generate(request(format: .b64Json), into: sink)
        let warnings = await sink.warnings
        #expect(warnings.contains { $0.contains("said 4096x4096 but the image is 32x24") }, "\(warnings)")
        // The engine's sink takes the image's own header over the claim.
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache(directory: dir.url, busyTimeout: .seconds(5), now: { Date() })
        try cache.beginAction(key: "k", target: "fox", componentsJSON: "{}", kind: .images)
        let durable = DurableSink(cache: cache, actionKey: "k", target: "fox", slots: [0], reporter: RecordingReporter())
        try await durable.imageReceived(try #require(await sink.images.first))
        #expect(durable.received.first.map { ($0.width, $0.height) } ?? (0, 0) == (32, 24))
        await #expect(throws: ProviderError.self) {
            try await durable.imageReceived(ReceivedImage(index: -1, data: Data([0xFF])))
        }
    }

    // MARK: item 9: wrong content types

    @Test(arguments: [(FakeArkBehavior.WrongContentType.jsonAsHTML, false), (.streamAsJSON, true), (.jsonForStream, true),
                      (.streamForJSON, false), (.jsonInStream, true), (.jsonInStream, false)])
    func a_valid_answer_with_the_wrong_label_is_read(_ mode: FakeArkBehavior.WrongContentType, _ stream: Bool) async throws {
        try await withArk({ $0.wrongContentType = mode; $0.answerSize = (64, 64) }) { h in
            let sink = RecordingSink()
            let summary = try await h.client.generate(request("2 images", maxImages: 2, stream: stream, format: .b64Json),
                                                      into: sink)
            #expect(await sink.indices == [0, 1])
            #expect(summary.usage?.generatedImages == 2)
            #expect(h.fake.generationRequests.count == 1)
            let warnings = await sink.warnings
            #expect(warnings.isEmpty, "\(warnings)")
        }
    }

    @Test func a_broken_json_answer_is_not_called_a_dropped_connection() async throws {
        final class Malformed: HTTPTransport {
            func send(_ r: TransportRequest) async throws -> TransportResponse {
                TransportResponse(status: 200, headers: HTTPHeaderFields([("Content-Type", "text/html")]),
                                  body: Data(#"{"data":[{"url": nope}]}"#.utf8))
            }
            func stream(_ r: TransportRequest) async throws -> TransportStream { fatalError("not streamed") }
        }
        let client = ArkClient(baseURL: "http://127.0.0.1:1/api/v3", apiKey: ArkHarness.key, transport: Malformed())
        let error = await providerError { _ = try await client.generate(request(), into: RecordingSink()) }
        #expect(error?.kind == .protocolViolation)
        #expect(error?.isRetryable == false)
        #expect(error?.description.contains("connection") == false, "\(String(describing: error))")
    }

    @Test func a_stream_that_closes_cleanly_before_done_is_not_called_a_dropped_connection() async throws {
        try await withArk({ $0.answerSize = (64, 64) }) { h in
            h.fake.enqueue(.streamEndsEarly(afterImages: 1))
            let sink = RecordingSink()
            let error = await providerError {
                _ = try await h.client.generate(request("2 images", maxImages: 2, stream: true, format: .b64Json), into: sink)
            }
            #expect(error?.kind == .truncated && error?.imagesReceived == 1)
            #expect(error?.description.contains("connection") == false, "\(String(describing: error))")
        }
    }

    // MARK: item 14: usage kept without [DONE]

    @Test func a_stream_that_ends_after_completed_without_done_is_whole() async throws {
        try await withArk({ $0.answerSize = (64, 64) }) { h in
            h.fake.enqueue(.streamWithoutDone)
            let sink = RecordingSink()
            let summary = try await h.client.generate(request("2 images", maxImages: 2, stream: true, format: .b64Json), into: sink)
            #expect(await sink.indices == [0, 1])
            #expect(summary.usage?.generatedImages == 2 && summary.usage?.outputTokens == 2 * 64 * 64 / 256)
            #expect(await sink.warnings.contains { $0.contains("without [DONE]") })
        }
    }

    @Test(arguments: [("length", "LengthFinishReason", "max_tokens"), ("content_filter", "ContentFilterFinishReason", "reword")])
    func a_reply_that_stopped_early_is_an_error(_ reason: String, _ code: String, _ advice: String) async throws {
        try await withArk({ $0.chatFinishReason = reason; $0.chatContent = "Once upon a" }) { h in
            let error = await providerError {
                _ = try await h.client.complete(TextRequest(target: "story", model: "doubao-seed-1-6-250615", prompt: "a story"))
            }
            #expect(error?.code == code && error?.isRetryable == false)
            #expect(error?.message.contains("finish_reason '\(reason)'") == true)
            #expect(error?.advice?.contains(advice) == true, "\(String(describing: error?.advice))")
        }
    }

    // MARK: item 17: answers have a size limit

    @Test(arguments: [false, true])
    func an_answer_larger_than_any_real_one_is_cut_off_and_says_which_limit(_ stream: Bool) async throws {
        try await withArk({ $0.hugeAnswerBytes = 200 << 20 }) { h in
            let error = await providerError {
                _ = try await h.client.generate(request(stream: stream, format: .b64Json), into: RecordingSink())
            }
            let limit = stream ? AnswerLimits.maxEventBytes : AnswerLimits.maxAnswerBytes(images: 1)
            #expect(error?.kind == .protocolViolation, "\(String(describing: error))")
            #expect(error?.message.contains("larger than any real answer") == true)
            #expect(error?.message.contains("\(limit) bytes") == true, "\(String(describing: error))")
            #expect(error?.isRetryable == false)
        }
    }

    @Test func limits_follow_from_the_largest_image_and_group() {
        #expect(AnswerLimits.maxEncodedImageBytes >= AnswerLimits.maxImageBytes * 4 / 3)
        #expect(AnswerLimits.maxAnswerBytes(images: 15) == 15 * AnswerLimits.maxEncodedImageBytes + AnswerLimits.envelopeBytes)
        #expect(AnswerLimits.maxAnswerBytes(images: 99) == AnswerLimits.maxAnswerBytes(images: 15))
        // A 4096×4096 image at 2 bytes a pixel fits.
        #expect(AnswerLimits.maxImageBytes >= 4096 * 4096 * 2)
    }

    // MARK: item 8: the wait scales with the images

    @Test func a_plain_group_may_stay_silent_once_per_image_a_stream_once() async throws {
        final class Recorder: HTTPTransport {
            let seen = Locked<[TransportRequest]>([])
            func send(_ r: TransportRequest) async throws -> TransportResponse {
                seen.mutate { $0.append(r) }
                throw TransportError(code: 7, message: "no")
            }
            func stream(_ r: TransportRequest) async throws -> TransportStream {
                seen.mutate { $0.append(r) }
                throw TransportError(code: 7, message: "no")
            }
        }
        let transport = Recorder()
        let client = ArkClient(baseURL: "http://127.0.0.1:1/api/v3", apiKey: ArkHarness.key, transport: transport,
                               timeouts: .init(generationStall: .seconds(100)))
        _ = await providerError { _ = try await client.generate(request("4 images", maxImages: 4), into: RecordingSink()) }
        _ = await providerError { _ = try await client.generate(request("4 images", maxImages: 4, stream: true), into: RecordingSink()) }
        #expect(transport.seen.value.map(\.stallTimeout) == [.seconds(400), .seconds(100)])
        #expect(transport.seen.value.map(\.maxBodyBytes) == [AnswerLimits.maxAnswerBytes(images: 4), AnswerLimits.maxAnswerBytes(images: 4)])
    }
}
