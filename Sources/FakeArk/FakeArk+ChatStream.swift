import AssetBuildCore
import FlyingFox
import Foundation

/// A chat completion asked for with `"stream": true`: OpenAI-style `chat.completion.chunk` events
/// (the role, then the content in pieces, then the `finish_reason`, then the usage when
/// `stream_options.include_usage` asks for it) and `data: [DONE]`, as the real service streams.
/// assetbuild never asks for one; a client that started to would have to read this, not JSON.
extension FakeArkCore {
    func chatStream(_ content: String, model: String, usage: (prompt: Int, completion: Int), behavior: FakeArkBehavior,
                    record: FakeArkRequest, requestID: String) -> HTTPResponse {
        let created = ArkJSON.int(Int(Date().timeIntervalSince1970))
        func chunk(_ choices: [ArkJSON], usage: ArkJSON = .null) -> String {
            let o: ArkJSON = ["id": .string(requestID), "object": "chat.completion.chunk", "created": created,
                              "model": .string(model), "choices": .array(choices), "usage": usage]
            return "data: " + String(decoding: o.encoded(), as: UTF8.self) + "\n\n"
        }
        var text = chunk([["index": 0, "delta": ["role": "assistant", "content": ""], "finish_reason": .null]])
        var rest = Substring(content)
        while !rest.isEmpty {
            let piece = rest.prefix(16)
            rest = rest.dropFirst(piece.count)
            text += chunk([["index": 0, "delta": ["content": .string(String(piece))], "finish_reason": .null]])
        }
        text += chunk([["index": 0, "delta": [:], "finish_reason": .string(behavior.chatFinishReason)]])
        if record.json?["stream_options"]?["include_usage"]?.bool == true {
            text += chunk([], usage: ["prompt_tokens": .int(usage.prompt), "completion_tokens": .int(usage.completion),
                                      "total_tokens": .int(usage.prompt + usage.completion)])
        }
        text += "data: [DONE]\n\n"
        var headers = responseHeaders(record, requestID: requestID, contentType: "text/event-stream; charset=utf-8")
        headers[HTTPHeader("Cache-Control")] = "no-cache"
        let (chunks, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        continuation.yield(Array(text.utf8))
        continuation.finish()
        return HTTPResponse(statusCode: .ok, headers: headers, body: HTTPBodySequence(from: ChunkSequence(chunks: chunks)))
    }
}
