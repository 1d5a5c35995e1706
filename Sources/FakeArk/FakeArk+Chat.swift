import AssetBuildCore
import FlyingFox
import Foundation

/// `POST /api/v3/chat/completions`: an OpenAI-style `chat.completion` with a configurable content.
extension FakeArkCore {
    func chat(_ record: FakeArkRequest) async throws -> HTTPResponse {
        let requestID = newRequestID()
        let (refused, fault) = admit(record, requestID: requestID)
        if let refused { return refused }
        let behavior = state.withLock { $0.behavior }
        let reject = { (code: String, message: String, param: String) in
            self.errorResponse(400, code: code, message: message, param: param, requestID: requestID, record: record)
        }
        guard let json = record.json, json.object != nil else {
            return reject("InvalidParameter", "The request body is not a valid JSON object.", "")
        }
        guard let model = json["model"]?.string else {
            return reject("MissingParameter", "The request failed because it is missing the `model` parameter.", "model")
        }
        guard ModelCatalog.textModels.contains(model) || model.hasPrefix("doubao-") || behavior.endpoints[model] != nil else {
            return errorResponse(404, code: "InvalidEndpointOrModel.NotFound",
                                 message: "The model or endpoint \(model) does not exist or you do not have access to it.",
                                 requestID: requestID, record: record)
        }
        if behavior.closedModels.contains(model) {
            return errorResponse(404, code: "ModelNotOpen", message: "Your account has not activated the model \(model).",
                                 requestID: requestID, record: record)
        }
        guard let messages = json["messages"]?.array, !messages.isEmpty,
              messages.allSatisfy({ $0["role"]?.string != nil && $0["content"] != nil }) else {
            return reject("InvalidParameter", "The parameter `messages` specified in the request is not valid.", "messages")
        }
        if let format = json["response_format"] {
            let type = format["type"]?.string
            guard ["text", "json_object", "json_schema"].contains(type ?? "") else {
                return reject("InvalidParameter", "The parameter `response_format.type` specified in the request is not valid.",
                              "response_format.type")
            }
            if type == "json_schema", format["json_schema"]?["schema"]?.object == nil {
                return reject("InvalidParameter", "The parameter `response_format.json_schema.schema` is missing.",
                              "response_format.json_schema")
            }
        }
        if let thinking = json["thinking"] {
            guard ["enabled", "disabled", "auto"].contains(thinking["type"]?.string ?? "") else {
                return reject("InvalidParameter", "The parameter `thinking.type` specified in the request is not valid.",
                              "thinking.type")
            }
        }
        if let hostile = behavior.hostile {
            return hostileChat(hostile, prompt: messages.compactMap { $0["content"]?.string }.joined(separator: "\n"), record: record)
        }
        if let answer = await immediateFault(fault, record: record, requestID: requestID) { return answer }
        if behavior.imageLatency > .zero { try? await Task.sleep(for: behavior.imageLatency) }

        var content = behavior.chatContent
        if behavior.storyFromRequest, let schema = json["response_format"]?["json_schema"],
           schema["name"]?.string == "storybook" {
            let scenes = schema["schema"]?["properties"]?["scenes"]
            let low = scenes?["minItems"]?.int ?? 5, high = scenes?["maxItems"]?.int ?? max(low, 10)
            let request = messages.last { $0["role"]?.string == "user" }?["content"]?.string ?? ""
            content = DraftStory.story(for: request, scenes: low...max(low, high))
        }
        switch behavior.chatWrapping {
        case .plain: break
        case .codeFence: content = "```json\n\(content)\n```"
        case .malformed: content = String(content.prefix(max(1, content.count / 2)))
        }
        let promptTokens = messages.reduce(0) { $0 + ($1["content"]?.string?.count ?? 0) / 2 + 4 }
        let completionTokens = content.count / 2 + 1
        if json["stream"]?.bool == true {
            return chatStream(content, model: model, usage: (promptTokens, completionTokens), behavior: behavior,
                              record: record, requestID: requestID)
        }
        let body: ArkJSON = [
            "id": .string(requestID), "object": "chat.completion", "created": .int(Int(Date().timeIntervalSince1970)),
            "model": .string(model), "service_tier": "default",
            "choices": [["index": 0, "finish_reason": .string(behavior.chatFinishReason), "logprobs": .null,
                         "message": ["role": "assistant", "content": .string(content)]]],
            "usage": ["prompt_tokens": .int(promptTokens), "completion_tokens": .int(completionTokens),
                      "total_tokens": .int(promptTokens + completionTokens)],
        ]
        let truncated: Bool
        if case .truncatedBody? = fault { truncated = true } else { truncated = false }
        return jsonResponse(body, record: record, requestID: requestID, truncated: truncated)
    }
}
