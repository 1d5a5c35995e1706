@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

/// Streamed groups, per-image failures and broken streams.
@Suite struct ArkStreamingTests {
    @Test func streamed_group_with_moderation_failure_at_image_2() async throws {
        try await withArk({ $0.moderatedImages = [1] }) { h in
            let sink = RecordingSink()
            let summary = try await h.client.generate(request("4 images", maxImages: 4, stream: true), into: sink)
            let sent = try #require(h.fake.generationRequests.first)
            #expect(sent.json?["stream"] == true)
            #expect(sent.header("Accept") == "text/event-stream")
            #expect(await sink.indices == [0, 2, 3])
            let failures = await sink.failures
            #expect(failures == [ImageFailure(index: 1, code: "OutputImageSensitiveContentDetected",
                                              message: "The request failed because the output image may contain sensitive information.")])
            #expect(failures.first?.isModeration == true)
            #expect(summary.usage?.generatedImages == 3)
        }
    }

    @Test func images_are_delivered_as_they_arrive() async throws {
        // The fake holds its stream before image 2 until the sink has image 1 (or 20 s pass):
        // a client that kept images until the end of the answer would never let it go on.
        let sink = RecordingSink()
        let early = Locked<[Int]>([])
        try await withArk({
            $0.beforeStreamedImage = { index in
                for _ in 0..<2000 {
                    if await sink.images.count >= index { early.mutate { $0.append(index) }; return }
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
        }) { h in
            _ = try await h.client.generate(request("3 images", model: Models.v40, size: "1K", maxImages: 3, stream: true),
                                            into: sink)
            #expect(await sink.images.count == 3)
            #expect(early.value == [1, 2], "each image reached the sink before the next one was sent")
        }
    }

    @Test(arguments: [true, false]) func internal_error_mid_group_stops_it(_ stream: Bool) async throws {
        try await withArk({ $0.internalErrorAtImage = 2 }) { h in
            let sink = RecordingSink()
            let summary = try await h.client.generate(request("5 images", maxImages: 5, stream: stream), into: sink)
            #expect(await sink.indices == [0, 1])
            let failures = await sink.failures
            #expect(failures.map(\.index) == [2])
            #expect(failures.first?.code == "InternalServiceError")
            #expect(failures.first?.isModeration == false)
            #expect(summary.usage?.generatedImages == 2)
        }
    }

    @Test func non_streamed_group_reports_data_item_errors() async throws {
        try await withArk({ $0.moderatedImages = [1] }) { h in
            let sink = RecordingSink()
            _ = try await h.client.generate(request("3 images", maxImages: 3), into: sink)
            #expect(await sink.indices == [0, 2])
            #expect(await sink.failures.map(\.index) == [1])
        }
    }

    @Test func truncated_stream_keeps_received_images_and_throws_truncated() async throws {
        try await withArk { h in
            h.fake.enqueue(.truncatedStream(afterImages: 2))
            let sink = RecordingSink()
            let error = await providerError {
                _ = try await h.client.generate(request("4 images", maxImages: 4, stream: true), into: sink)
            }
            #expect(error?.kind == .truncated)
            #expect(error?.imagesReceived == 2)
            #expect(error?.isRetryable == false)  // a retry would pay twice
            #expect(await sink.indices == [0, 1])
        }
    }

    @Test func stream_ending_cleanly_without_done_is_truncated() async throws {
        try await withArk { h in
            h.fake.enqueue(.streamEndsEarly(afterImages: 1))
            let sink = RecordingSink()
            let error = await providerError {
                _ = try await h.client.generate(request("3 images", maxImages: 3, stream: true), into: sink)
            }
            #expect(error?.kind == .truncated && error?.imagesReceived == 1)
            #expect(error?.message.contains("[DONE]") == true)
            #expect(await sink.indices == [0])
        }
    }

    @Test func error_line_mid_stream_is_a_service_error_after_the_images() async throws {
        try await withArk { h in
            h.fake.enqueue(.errorEvent(afterImages: 1))
            let sink = RecordingSink()
            let error = await providerError {
                _ = try await h.client.generate(request("3 images", maxImages: 3, stream: true), into: sink)
            }
            #expect(error?.kind == .service && error?.code == "InternalServiceError" && error?.imagesReceived == 1)
            #expect(await sink.indices == [0])
        }
    }

    @Test func top_level_error_in_a_200_comes_after_the_images() async throws {
        try await withArk { h in
            h.fake.enqueue(.errorEvent(afterImages: 2))
            let sink = RecordingSink()
            let error = await providerError {
                _ = try await h.client.generate(request("3 images", maxImages: 3), into: sink)
            }
            #expect(error?.kind == .service && error?.imagesReceived == 2)
            #expect(await sink.indices == [0, 1])
        }
    }

    @Test func tolerates_keepalives_partial_images_created_at_and_crlf() async throws {
        try await withArk({
            $0.keepAliveComments = true
            $0.partialImageEvents = true
            $0.createdField = .createdAt
            $0.sseLineEnding = "\r\n"
        }) { h in
            let sink = RecordingSink()
            let summary = try await h.client.generate(request("3 images", maxImages: 3, stream: true, format: .b64Json), into: sink)
            #expect(await sink.indices == [0, 1, 2])
            #expect(summary.usage?.generatedImages == 3)
        }
        try await withArk({ $0.sseLineEnding = "\r"; $0.createdField = .none }) { h in
            let sink = RecordingSink()
            _ = try await h.client.generate(request("2 images", maxImages: 2, stream: true), into: sink)
            #expect(await sink.indices == [0, 1])
        }
    }

    @Test func validation_errors_come_as_plain_json_even_when_streaming() async throws {
        try await withArk { h in
            let error = await providerError {
                _ = try await h.client.generate(request(size: "100x100", stream: true), into: RecordingSink())
            }
            #expect(error?.status == 400 && error?.param == "size")
        }
    }

    @Test(arguments: [FakeArkBehavior.SingleModeration.http400, .dataError])
    func single_image_moderation_either_way_reports_the_failure(_ policy: FakeArkBehavior.SingleModeration) async throws {
        try await withArk({ $0.moderatedImages = [0]; $0.singleImageModeration = policy }) { h in
            let sink = RecordingSink()
            do {
                _ = try await h.client.generate(request(), into: sink)
                #expect(policy == .dataError)
            } catch let e as ProviderError {
                #expect(policy == .http400)
                #expect(e.status == 400 && e.code == "OutputImageSensitiveContentDetected")
                #expect(e.advice?.contains("reword") == true)
            }
            #expect(await sink.images.isEmpty)
            #expect(await sink.failures.map(\.code) == ["OutputImageSensitiveContentDetected"])
        }
    }

    @Test func cancelling_mid_stream_keeps_what_arrived_and_says_cancelled() async throws {
        try await withArk({ $0.imageLatency = .milliseconds(300) }) { h in
            let sink = RecordingSink()
            let client = h.client
            let task = Task {
                try await client.generate(request("4 images", model: Models.v40, size: "1K", maxImages: 4, stream: true),
                                          into: sink)
            }
            while await sink.images.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
            task.cancel()
            // The rest of the group would take seconds more; a generous guard, not a speed bound.
            let error = try await within(.seconds(60)) { await providerError { _ = try await task.value } } ?? nil
            #expect(error?.kind == .cancelled)
            #expect(error?.imagesReceived == 1)
            #expect(await sink.indices == [0])
        }
    }

    struct DiskFull: Error {}

    /// The engine's own failure to store an image stops the request at once and is not renamed.
    @Test func a_failing_sink_stops_the_request_with_its_own_error() async throws {
        actor FailingSink: ImageSink {
            var calls = 0
            func imageReceived(_ image: ReceivedImage) async throws { calls += 1; throw DiskFull() }
            func imageFailed(_ failure: ImageFailure) async {}
        }
        try await withArk { h in
            let sink = FailingSink()
            await #expect(throws: DiskFull.self) {
                _ = try await h.client.generate(request("3 images", maxImages: 3, stream: true), into: sink)
            }
            await #expect(throws: DiskFull.self) {
                _ = try await h.client.generate(request("3 images", maxImages: 3), into: sink)
            }
            #expect(await sink.calls == 2)
        }
    }
}

/// What the stream parser must not drop in silence, the SSE spec's other shapes, extra images,
/// and a service that goes quiet.
@Suite struct ArkStreamingEdgeTests {
    @Test func unreadable_events_are_warned_about_and_the_images_still_arrive() async throws {
        try await withArk({ $0.unreadableEvents = true }) { h in
            let sink = RecordingSink()
            _ = try await h.client.generate(request("2 images", maxImages: 2, stream: true), into: sink)
            #expect(await sink.indices == [0, 1])
            let warnings = await sink.warnings
            #expect(warnings.count == 2, "\(warnings)")
            #expect(warnings.contains { $0.contains("could not be read") && $0.contains("partial_succ") }, "\(warnings)")
            #expect(warnings.contains { $0.contains("without data.type") }, "\(warnings)")
        }
    }

    @Test func more_images_billed_than_arrived_is_warned_about() async throws {
        try await withArk({ $0.lostImageEvents = [1] }) { h in
            let sink = RecordingSink()
            let summary = try await h.client.generate(request("3 images", maxImages: 3, stream: true), into: sink)
            #expect(await sink.indices == [0, 2])
            #expect(summary.usage?.generatedImages == 3)
            let warnings = await sink.warnings
            #expect(warnings.count == 1 && warnings.first?.contains("billed 3 image(s) but 2 arrived") == true, "\(warnings)")
            #expect(warnings.first?.contains("possible lost images") == true)
        }
    }

    @Test func multi_line_data_ids_retry_and_unknown_fields_with_both_created_fields() async throws {
        for format in [ResponseFormat.url, .b64Json] {
            try await withArk({ $0.sseSpecExtras = true; $0.createdField = .both; $0.keepAliveComments = true }) { h in
                let sink = RecordingSink()
                let summary = try await h.client.generate(request("3 images", maxImages: 3, stream: true, format: format), into: sink)
                #expect(await sink.indices == [0, 1, 2])
                #expect(summary.usage?.generatedImages == 3)
                #expect(await sink.warnings.isEmpty)
                // What went over the wire really had those shapes.
                let raw = try await h.transport.send(TransportRequest(
                    method: "POST", url: h.fake.baseURL + "/images/generations",
                    headers: [("Authorization", "Bearer \(ArkHarness.key)"), ("Content-Type", "application/json")],
                    body: ArkWire.imageBody(request("2 images", maxImages: 2, stream: true, format: format)).encoded()))
                let text = String(decoding: raw.body, as: UTF8.self)
                #expect(text.contains("\ndata: {\ndata:\"") && text.contains("\nid: ") && text.contains("\nretry: 3000\n"))
                #expect(text.contains("\nx-trace: fake\n") && text.contains("\"created_at\"") && text.contains("\"created\""))
            }
        }
    }

    @Test func created_both_in_a_plain_answer() async throws {
        try await withArk({ $0.createdField = .both }) { h in
            let sink = RecordingSink()
            _ = try await h.client.generate(request("2 images", maxImages: 2), into: sink)
            #expect(await sink.indices == [0, 1])
        }
    }

    /// The count is the model's (ark-api.md §5): images beyond what was asked have no place in
    /// the target, so they are dropped with a warning, never handed to the sink.
    @Test(arguments: [true, false]) func images_beyond_max_images_are_not_kept(_ stream: Bool) async throws {
        try await withArk({ $0.groupCount = .moreThanAsked(by: 2) }) { h in
            let sink = RecordingSink()
            let summary = try await h.client.generate(request("3 images", maxImages: 3, stream: stream), into: sink)
            #expect(summary.usage?.generatedImages == 5)
            #expect(await sink.indices == [0, 1, 2])
            let warnings = await sink.warnings
            #expect(warnings.count == 2, "\(warnings)")
            #expect(warnings.allSatisfy { $0.contains("though only 3 were asked for") && $0.contains("billed") }, "\(warnings)")
            #expect(!warnings.contains { $0.contains("lost") })
            #expect(h.fake.downloadRequests.count == 3, "extras are not even downloaded")
        }
    }

    @Test func a_stream_that_goes_silent_fails_as_stalled_and_keeps_what_arrived() async throws {
        // The stall counts silence from the start, so the first image must arrive within it: 15 s
        // leaves room for a loaded machine (at 1 s, and once at 5 s in a whole-suite run with the
        // team-scale tests' servers starting, a busy fake stalled before image 1).
        try await withArk(timeouts: .init(generationStall: .seconds(15))) { h in
            h.fake.enqueue(.streamHangs(afterImages: 1))
            let sink = RecordingSink()
            // It hangs forever otherwise: any end within the (generous) guard is the stall timeout.
            let error = try await within(.seconds(120)) {
                await providerError {
                    _ = try await h.client.generate(request("3 images", maxImages: 3, stream: true, format: .b64Json), into: sink)
                }
            } ?? nil
            #expect(error?.kind == .transport(code: 28), "\(String(describing: error))")
            #expect(error?.message.contains("the stream stalled") == true)
            #expect(error?.imagesReceived == 1)
            #expect(error?.advice?.contains("provider.stall_timeout") == true)
            #expect(await sink.indices == [0])
        }
    }

    @Test func a_plain_request_that_hangs_times_out() async throws {
        try await withArk(timeouts: .init(generationStall: .seconds(1))) { h in
            h.fake.enqueue(.hang)
            let error = try await within(.seconds(120)) {
                await providerError { _ = try await h.client.generate(request(), into: RecordingSink()) }
            } ?? nil
            #expect(error?.kind == .transport(code: 28), "\(String(describing: error))")
            // The request went out whole: the service may be generating and billing it, so it is
            // not sent again blindly (issue 14 item 8; this asserted `isRetryable == true` before).
            #expect(error?.isRetryable == false && error?.mayHaveCharged == true)
            #expect(error?.advice?.contains("not sent again") == true, "\(String(describing: error))")
        }
    }
}
