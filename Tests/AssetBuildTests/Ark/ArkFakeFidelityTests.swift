@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

/// The fake refuses what the real service refuses, so a client regression fails a test instead
/// of a user's build: references (ark-api.md §4) and a streamed chat request answered as a stream.
@Suite struct ArkFakeFidelityTests {
    /// POSTs `image` as the one reference of a 4.5 request; the status and error code.
    private func post(_ image: String, _ h: ArkHarness, model: String = Models.v45) async throws -> (Int, String?, String?) {
        let body: ArkJSON = ["model": .string(model), "prompt": "x", "image": .string(image)]
        let r = try await h.transport.send(TransportRequest(method: "POST", url: h.fake.baseURL + "/images/generations",
            headers: [("Authorization", "Bearer \(ArkHarness.key)"), ("Content-Type", "application/json")], body: body.encoded()))
        let error = ArkJSON.parse(r.body)?["error"]
        return (r.status, error?["code"]?.string, error?["param"]?.string)
    }

    private func png(_ w: Int, _ h: Int) throws -> String {
        "data:image/png;base64," + (try PNGCodec.encode(RGBImage(width: w, height: h, color: RGBColor(1, 2, 3)))).base64EncodedString()
    }

    @Test func references_the_service_refuses_are_refused_with_its_code() async throws {
        try await withArk { h in
            let refused = [
                try png(14, 64),                                          // a side of 14 px or less
                try png(64, 14),
                try png(17 * 16, 16),                                     // 17:1, beyond [1/16, 16]
                try png(16, 17 * 16),
                "data:image/png;base64," + Data("<html>no</html>".utf8).base64EncodedString(),  // not an image
                try png(64, 64).replacingOccurrences(of: "image/png", with: "image/PNG"),         // uppercase format
            ]
            for uri in refused {
                let (status, code, param) = try await post(uri, h)
                #expect(status == 400 && code == "InvalidParameter" && param == "image", "\(uri.prefix(40)): \(status) \(code ?? "-")")
            }
            for uri in [try png(15, 15), try png(16 * 16, 16), try png(16, 16 * 16)] {
                #expect(try await post(uri, h).0 == 200, "\(uri.prefix(40))")
            }
            // seededit takes [1/3, 3] only.
            #expect(try await post(try png(16 * 4, 16), h, model: Models.edit30).0 == 400)
            #expect(h.fake.generationRequests.count == 10)
        }
    }

    @Test func a_streamed_chat_request_is_answered_as_a_stream() async throws {
        try await withArk({ $0.chatContent = "Once upon a time, a fox." }) { h in
            let body: ArkJSON = ["model": "doubao-seed-1-6-250615", "stream": true, "stream_options": ["include_usage": true],
                                 "messages": [["role": "user", "content": "a story"]]]
            let stream = try await h.transport.stream(TransportRequest(method: "POST", url: h.fake.baseURL + "/chat/completions",
                headers: [("Authorization", "Bearer \(ArkHarness.key)")], body: body.encoded()))
            #expect(stream.headers["Content-Type"]?.hasPrefix("text/event-stream") == true)
            var decoder = SSEDecoder()
            var events: [String] = []
            for try await chunk in stream.body { events += decoder.push(chunk).map(\.data) }
            #expect(events.last == "[DONE]")
            let chunks = events.dropLast().compactMap { ArkJSON.parse(Data($0.utf8)) }
            #expect(chunks.allSatisfy { $0["object"]?.string == "chat.completion.chunk" })
            let text = chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.string }.joined()
            #expect(text == "Once upon a time, a fox.")
            #expect(chunks.compactMap { $0["choices"]?[0]?["finish_reason"]?.string } == ["stop"])
            #expect(chunks.last?["usage"]?["total_tokens"]?.int != nil)
            // The client asks for JSON, never a stream: a client that started to would meet this.
            _ = try await h.client.complete(TextRequest(target: "story", model: "doubao-seed-1-6-250615", prompt: "a story"))
            #expect(h.fake.chatRequests.last?.json?["stream"] == nil)
        }
    }
}
