@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

/// What goes over the wire for each kind of request, and what comes back.
@Suite struct ArkRequestTests {
    @Test func text_to_image_sends_exactly_the_meant_fields_and_headers() async throws {
        try await withArk { h in
            let sink = RecordingSink()
            let summary = try await h.client.generate(request(), into: sink)
            let sent = try #require(h.fake.generationRequests.first)
            let body = try #require(sent.json?.object)
            #expect(Set(body.keys) == ["model", "prompt", "response_format", "size", "watermark"])
            #expect(body["model"] == .string(Models.v45))
            #expect(body["watermark"] == .bool(false))
            #expect(body["response_format"] == "url")
            #expect(!String(decoding: sent.body, as: UTF8.self).contains("null"))
            #expect(sent.header("Authorization") == "Bearer \(ArkHarness.key)")
            #expect(sent.header("Content-Type") == "application/json")
            #expect(sent.header("Accept") == "application/json")
            #expect(sent.header("User-Agent") == "assetbuild/\(AssetBuildVersion.current)")
            let clientID = try #require(sent.header("X-Client-Request-Id"))
            #expect(clientID.wholeMatch(of: /[0-9]{14}[A-Za-z0-9]{20}/) != nil)

            let images = await sink.images
            #expect(images.count == 1)
            let image = try #require(images.first)
            #expect(image.reportedWidth == 2048 && image.reportedHeight == 2048)
            #expect(jpegSize(image.data)! == (2048, 2048))
            #expect(summary.usage == Usage(generatedImages: 1, outputTokens: 2048 * 2048 / 256, totalTokens: 2048 * 2048 / 256))
            #expect(summary.requestID?.hasPrefix("021") == true)
            #expect(summary.model == Models.v45)
            // The image was fetched without the API key.
            let download = try #require(h.fake.downloadRequests.first)
            #expect(download.header("Authorization") == nil)
            #expect(download.query.contains("X-Tos-Expires=86400"))
        }
    }

    @Test func one_file_reference_is_a_lowercase_data_uri_string() async throws {
        try await withArk({ $0.dataURIs = .strict }) { h in
            _ = try await h.client.generate(request(references: [.bytes(tinyPNG, format: "PNG")]), into: RecordingSink())
            let image = try #require(h.fake.generationRequests.first?.json?["image"]?.string)
            #expect(image == "data:image/png;base64," + tinyPNG.base64EncodedString())
        }
    }

    @Test func fourteen_url_references_are_an_array() async throws {
        try await withArk { h in
            let refs = (0..<14).map { ReferenceInput.url("https://example.com/ref\($0).png") }
            _ = try await h.client.generate(request(references: refs), into: RecordingSink())
            let images = try #require(h.fake.generationRequests.first?.json?["image"]?.array)
            #expect(images.map(\.string) == refs.map { if case .url(let u) = $0 { u } else { nil } })
        }
    }

    @Test func group_of_four_asks_auto_with_max_images_and_arrives_in_order() async throws {
        try await withArk { h in
            let sink = RecordingSink()
            let summary = try await h.client.generate(request("a set of 4 images of a fox", maxImages: 4), into: sink)
            let body = try #require(h.fake.generationRequests.first?.json)
            #expect(body["sequential_image_generation"] == "auto")
            #expect(body["sequential_image_generation_options"] == ["max_images": 4])
            #expect(body["stream"] == nil)
            #expect(await sink.indices == [0, 1, 2, 3])
            #expect(summary.usage?.generatedImages == 4)
            #expect(h.fake.downloadRequests.count == 4)
        }
    }

    @Test func fewer_images_than_asked_is_not_an_error() async throws {
        try await withArk({ $0.groupCount = .fewerThanAsked(by: 2) }) { h in
            let sink = RecordingSink()
            let summary = try await h.client.generate(request("5 images", maxImages: 5), into: sink)
            #expect(await sink.indices == [0, 1, 2])
            #expect(summary.usage?.generatedImages == 3)
        }
    }

    @Test func b64_json_images_need_no_download() async throws {
        try await withArk { h in
            let sink = RecordingSink()
            _ = try await h.client.generate(request("2 images, 16:9", maxImages: 2, format: .b64Json), into: sink)
            #expect(h.fake.generationRequests.first?.json?["response_format"] == "b64_json")
            let images = await sink.images
            #expect(images.count == 2)
            #expect(images.allSatisfy { jpegSize($0.data)! == (2560, 1440) && $0.reportedWidth == 2560 })
            #expect(h.fake.downloadRequests.isEmpty)
        }
    }

    @Test func optimize_prompt_mode_and_its_rejection_on_4_5() async throws {
        try await withArk { h in
            var r = request(model: Models.v40)
            r.options[OptionTable.optimizePrompt] = "fast"
            _ = try await h.client.generate(r, into: RecordingSink())
            #expect(h.fake.generationRequests.last?.json?["optimize_prompt_options"] == ["mode": "fast"])

            var bad = request(model: Models.v45)
            bad.options[OptionTable.optimizePrompt] = "fast"
            let error = await providerError { _ = try await h.client.generate(bad, into: RecordingSink()) }
            #expect(error?.status == 400)
            #expect(error?.param == "optimize_prompt_options.mode")
        }
    }

    @Test(arguments: [true, false]) func watermark_is_always_sent(_ on: Bool) async throws {
        try await withArk { h in
            _ = try await h.client.generate(request(watermark: on), into: RecordingSink())
            #expect(h.fake.generationRequests.first?.json?["watermark"] == .bool(on))
        }
    }

    @Test func seedream_3_0_t2i_with_seed_and_guidance_scale() async throws {
        try await withArk { h in
            var r = request(model: Models.t2i30, size: "1024x1024")
            r.options[OptionTable.seed] = 42
            r.options[OptionTable.guidanceScale] = 2.5
            let sink = RecordingSink()
            _ = try await h.client.generate(r, into: sink)
            let body = try #require(h.fake.generationRequests.first?.json)
            #expect(body["seed"] == 42)
            #expect(body["guidance_scale"] == 2.5)
            #expect(body["sequential_image_generation"] == nil)
            let image = try #require(await sink.images.first)
            #expect(image.reportedWidth == nil)  // 3.0 answers carry no size
            #expect(jpegSize(image.data)! == (1024, 1024))
        }
    }

    @Test func seededit_3_0_with_one_reference_seed_and_guidance_scale() async throws {
        try await withArk { h in
            var r = request(model: Models.edit30, references: [.bytes(tinyPNG, format: "png")], size: "adaptive")
            r.options[OptionTable.seed] = 7
            r.options[OptionTable.guidanceScale] = 5.5
            let sink = RecordingSink()
            _ = try await h.client.generate(r, into: sink)
            let body = try #require(h.fake.generationRequests.first?.json)
            #expect(body["seed"] == 7 && body["guidance_scale"] == 5.5 && body["size"] == "adaptive")
            #expect(body["image"]?.string?.hasPrefix("data:image/png;base64,") == true)
            #expect(await sink.images.count == 1)
        }
    }

    @Test func seed_sent_to_4_x_is_rejected_by_the_fake() async throws {
        try await withArk { h in
            var r = request()
            r.options[OptionTable.seed] = 1
            let error = await providerError { _ = try await h.client.generate(r, into: RecordingSink()) }
            #expect(error?.status == 400 && error?.code == "InvalidParameter" && error?.param == "seed")
            #expect(error?.isRetryable == false)
        }
    }

    @Test func preset_answer_sizes_come_from_the_answer_not_the_preset() async throws {
        try await withArk({ $0.answerSize = (1760, 2368) }) { h in
            let sink = RecordingSink()
            let summary = try await h.client.generate(request(model: Models.v40), into: sink)
            let image = try #require(await sink.images.first)
            #expect(image.reportedWidth == 1760 && image.reportedHeight == 2368)
            #expect(jpegSize(image.data)! == (1760, 2368))
            #expect(summary.usage?.outputTokens == 16280)
        }
    }

    @Test func refs_plus_max_images_over_15_rejected_or_capped() async throws {
        let refs = (0..<3).map { ReferenceInput.url("https://example.com/\($0).png") }
        try await withArk({ $0.tooManyForGroup = .reject }) { h in
            let error = await providerError {
                _ = try await h.client.generate(request("15 images", references: refs, maxImages: 15), into: RecordingSink())
            }
            #expect(error?.status == 400)
        }
        try await withArk({ $0.tooManyForGroup = .cap }) { h in
            let sink = RecordingSink()
            _ = try await h.client.generate(request("15 images", references: refs, maxImages: 15, format: .b64Json), into: sink)
            #expect(await sink.images.count == 12)
        }
    }

    @Test func size_and_reference_rules_per_model() async throws {
        try await withArk { h in
            let cases: [(ImageRequest, String)] = [
                (request(size: "1500x1500"), "size"),                          // below 4.5's minimum
                (request(model: Models.v45, size: "1K"), "size"),              // no 1K on 4.5
                (request(model: Models.t2i30, size: "1024x1024", stream: true), "stream"),
                (request(model: Models.t2i30, references: [.url("https://e.com/a.png")], size: "1024x1024"), "image"),
                (request(references: (0..<15).map { .url("https://e.com/\($0).png") }), "image"),
            ]
            for (r, param) in cases {
                let error = await providerError { _ = try await h.client.generate(r, into: RecordingSink()) }
                #expect(error?.status == 400 && error?.param == param, "\(param)")
            }
            let unknown = await providerError { _ = try await h.client.generate(request(model: "doubao-nope"), into: RecordingSink()) }
            #expect(unknown?.status == 404 && unknown?.code == "InvalidEndpointOrModel.NotFound")
        }
    }

    @Test func strict_fake_rejects_uppercase_and_mismatched_data_uris() async throws {
        try await withArk({ $0.dataURIs = .strict }) { (h: ArkHarness) async throws in
            func post(_ uri: String) async throws -> Int {
                let body: ArkJSON = ["model": .string(Models.v45), "prompt": "x", "image": .string(uri)]
                let r = try await h.transport.send(TransportRequest(method: "POST", url: h.fake.baseURL + "/images/generations",
                    headers: [("Authorization", "Bearer \(ArkHarness.key)"), ("Content-Type", "application/json")],
                    body: body.encoded()))
                return r.status
            }
            let b64 = tinyPNG.base64EncodedString()
            let upper = try await post("data:image/PNG;base64,\(b64)")
            let mismatched = try await post("data:image/jpeg;base64,\(b64)")
            let right = try await post("data:image/png;base64,\(b64)")
            #expect(upper == 400 && mismatched == 400 && right == 200)
        }
        try await withArk({ $0.dataURIs = .lenient }) { h in
            let body: ArkJSON = ["model": .string(Models.v45), "prompt": "x", "image": .string("data:image/JPEG;base64,\(tinyPNG.base64EncodedString())"), "size": .null, "seed": .null]
            let r = try await h.transport.send(TransportRequest(method: "POST", url: h.fake.baseURL + "/images/generations",
                headers: [("Authorization", "Bearer \(ArkHarness.key)")], body: body.encoded()))
            #expect(r.status == 200)  // nulls count as absent
        }
    }
}
