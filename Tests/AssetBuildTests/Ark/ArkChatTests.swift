@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

@Suite struct ArkChatTests {
    let story = #"{"title":"The Fox","summary":"a fox story","scenes":["a fox"],"scenes_detail":["图片1：a fox"]}"#

    @Test func json_object_request_and_reply() async throws {
        try await withArk { h in
            let r = TextRequest(target: "story", model: "doubao-seed-1-6-250615", system: "You write stories.",
                                prompt: "a fox", responseFormat: .jsonObject,
                                options: OptionValues(["thinking": .string("disabled"), "temperature": .number(0.7), "max_tokens": .int(2000)]))
            let reply = try await h.client.complete(r)
            #expect(reply.content == story)
            #expect(reply.requestID?.hasPrefix("021") == true)
            #expect((reply.promptTokens ?? 0) > 0 && (reply.completionTokens ?? 0) > 0)
            let sent = try #require(h.fake.chatRequests.first)
            let body = try #require(sent.json)
            #expect(body["model"] == "doubao-seed-1-6-250615")
            #expect(body["messages"] == [["role": "system", "content": "You write stories."], ["role": "user", "content": "a fox"]])
            #expect(body["response_format"] == ["type": "json_object"])
            #expect(body["thinking"] == ["type": "disabled"])
            #expect(body["temperature"] == 0.7 && body["max_tokens"] == 2000)
            #expect(sent.header("Authorization") == "Bearer \(ArkHarness.key)")
        }
    }

    @Test func json_schema_is_sent_as_an_object() async throws {
        try await withArk { h in
            let schema = #"{"type":"object","properties":{"title":{"type":"string"}},"required":["title"]}"#
            let r = TextRequest(target: "story", model: "doubao-seed-1-6-250615", prompt: "a fox",
                                responseFormat: .jsonSchema(name: "story", schema: schema, strict: true))
            _ = try await h.client.complete(r)
            let body = try #require(h.fake.chatRequests.first?.json)
            #expect(body["messages"]?.array?.count == 1)
            #expect(body["thinking"] == nil && body["temperature"] == nil && body["max_tokens"] == nil)
            let format = try #require(body["response_format"])
            #expect(format["type"] == "json_schema")
            #expect(format["json_schema"]?["name"] == "story" && format["json_schema"]?["strict"] == true)
            #expect(format["json_schema"]?["schema"] == ArkJSON.parse(Data(schema.utf8)))

            let bad = TextRequest(target: "story", model: "doubao-seed-1-6-250615", prompt: "x",
                                  responseFormat: .jsonSchema(name: "s", schema: "{not json", strict: false))
            let error = await providerError { _ = try await h.client.complete(bad) }
            #expect(error?.kind == .protocolViolation)
        }
    }

    @Test func code_fenced_reply_is_unwrapped_for_json_formats_only() async throws {
        try await withArk({ $0.chatWrapping = .codeFence }) { h in
            let json = try await h.client.complete(TextRequest(target: "s", model: "doubao-seed-1-6-250615", prompt: "x",
                                                               responseFormat: .jsonObject))
            #expect(json.content == story)
            let text = try await h.client.complete(TextRequest(target: "s", model: "doubao-seed-1-6-250615", prompt: "x"))
            #expect(text.content.hasPrefix("```json\n"))
            #expect(h.fake.chatRequests.last?.json?["response_format"] == nil)
        }
    }

    @Test func malformed_reply_is_returned_for_the_caller_to_reject() async throws {
        try await withArk({ $0.chatWrapping = .malformed }) { h in
            let reply = try await h.client.complete(TextRequest(target: "s", model: "doubao-seed-1-6-250615", prompt: "x",
                                                                responseFormat: .jsonObject))
            #expect(ArkJSON.parse(Data(reply.content.utf8)) == nil)
        }
    }

    @Test func chat_errors_are_provider_errors() async throws {
        try await withArk { h in
            h.fake.enqueue(.rateLimited(.seconds(3)))
            let limited = await providerError {
                _ = try await h.client.complete(TextRequest(target: "s", model: "doubao-seed-1-6-250615", prompt: "x"))
            }
            #expect(limited?.status == 429 && limited?.retryAfter == .seconds(3) && limited?.target == "s")
            let unknown = await providerError {
                _ = try await h.client.complete(TextRequest(target: "s", model: "gpt-nope", prompt: "x"))
            }
            #expect(unknown?.status == 404)
        }
    }
}
