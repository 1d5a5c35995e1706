import AssetBuildCore
import FlyingFox
import Foundation

/// A hostile server, or a broken gateway in front of an honest one: every text field the client
/// might print, store or send as an event carries `payload`. Answers for a valid, authenticated
/// request; which answer comes from the prompt (`[hostile:<answer>]`), else `answer`.
public struct FakeHostility: Sendable, Hashable {
    public enum Payload: Sendable, Hashable {
        /// The request's `Authorization` header echoed, with the key alone, base64 (of the key and of
        /// the header) and URL-encoded.
        case echoKey
        /// Terminal control: a screen clear, a window-title set, a one-byte CSI, a bidi override,
        /// and `\r` and `\n` that forge log lines.
        case escapes
    }

    public enum Answer: String, Sendable, CaseIterable {
        /// HTTP 400 with an Ark error body: `code`, `message`, `param` and `type` all carry it.
        case errorBody = "error-body"
        /// HTTP 200: image 1 is an image, every other image a `data[i].error`; `model` carries it.
        case imageErrors = "image-errors"
        /// A stream: `model` in every event, `partial_failed` errors, an event that is not JSON
        /// (the key across the 80-character cut of its excerpt) and one without `type`; it ends well.
        case stream
        /// A stream: image 1, then an `error` event, and the end.
        case streamError = "stream-error"
        /// HTTP 502 with a gateway's HTML page whose title echoes the request's headers.
        case gatewayPage = "gateway-page"
        /// HTTP 503 with a plain-text body: the key across the 200-character cut of error messages.
        case gatewayText = "gateway-text"
        /// HTTP 200 with HTML that is not JSON: the key across the 120-character cut.
        case notJSON = "not-json"
    }

    public var payload: Payload
    public var answer: Answer

    public init(_ payload: Payload, answer: Answer = .errorBody) {
        self.payload = payload
        self.answer = answer
    }

    /// The terminal escapes `.escapes` sends: a test looks for their effects.
    public static let escapeText = "\u{1B}[2J\u{1B}[H\u{1B}]0;pwned by the server\u{07}\u{9B}31m\u{202E}"
        + "\rassetbuild: all 99 target(s) up to date\ndone forged-by-server (9 image(s))"

    /// The answer a prompt asks for (`[hostile:stream]`), else the default.
    func answer(for prompt: String) -> Answer {
        for a in Answer.allCases where prompt.contains("[hostile:\(a.rawValue)]") { return a }
        return answer
    }

    /// What goes into every text field, for this request.
    func text(_ record: FakeArkRequest) -> String {
        switch payload {
        case .escapes:
            return Self.escapeText
        case .echoKey:
            let (auth, key) = Self.credentials(record)
            return "you sent Authorization: \(auth); key \(key); base64 \(Data(key.utf8).base64EncodedString());"
                + " header base64 \(Data(auth.utf8).base64EncodedString());"
                + " url \(key.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? key)"
        }
    }

    /// Filler, then the key (or the escapes), placed to begin 10 characters before the client's
    /// cut at character `cut` of the text it shows, when `lead` characters come before this text.
    func straddling(_ record: FakeArkRequest, at cut: Int, lead: Int) -> String {
        let secret = payload == .escapes ? Self.escapeText : Self.credentials(record).key
        return String(repeating: "-", count: max(0, cut - lead - 10)) + secret
    }

    /// The request's `Authorization` header, and the key in it.
    static func credentials(_ record: FakeArkRequest) -> (header: String, key: String) {
        let auth = record.header("Authorization") ?? ""
        return (auth, auth.hasPrefix("Bearer ") ? String(auth.dropFirst(7)) : auth)
    }
}

extension FakeArkCore {
    /// The hostile answer to an image request that passed validation.
    func hostileGeneration(_ h: FakeHostility, plan: GenerationPlan, prompt: String, record: FakeArkRequest,
                           requestID: String) -> HTTPResponse {
        let echo = h.text(record)
        let error: ArkJSON = ["code": .string(echo), "message": .string(echo), "param": .string(echo), "type": .string(echo)]
        let image = { (index: Int) -> [String: ArkJSON] in
            self.state.withLock { $0.files["\(requestID)_\(index).jpeg"] = FakeFile(width: plan.width, height: plan.height, colour: index) }
            return self.item(.image(width: plan.width, height: plan.height, colour: index), index: index, plan: plan,
                             requestID: requestID).object ?? [:]
        }
        switch h.answer(for: prompt) {
        case .imageErrors:
            let data = (0..<max(1, plan.count)).map { i -> ArkJSON in i == 0 ? .object(image(0)) : ["error": error] }
            let body: ArkJSON = ["model": .string(echo), "created": 1, "data": .array(data),
                                 "usage": ["generated_images": 1, "output_tokens": 16, "total_tokens": 16]]
            return hostileResponse(200, h, record: record, contentType: "application/json", body: body.encoded())
        case .stream, .streamError:
            var events: [String] = []
            func frame(_ type: String?, _ fields: [String: ArkJSON]) {
                var o = fields
                if let type { o["type"] = .string(type) }
                o["model"] = .string(echo)
                events.append("data: " + String(decoding: ArkJSON.object(o).encoded(), as: UTF8.self))
            }
            events.append("data: not json " + h.straddling(record, at: 80, lead: "not json ".count))
            frame(nil, ["note": .string(echo)])
            var first = image(0)
            first["image_index"] = 0
            frame("image_generation.partial_succeeded", first)
            if h.answer(for: prompt) == .streamError {
                events.append("data: " + String(decoding: ArkJSON.object(["error": error]).encoded(), as: UTF8.self))
            } else {
                for i in 1..<max(2, plan.count) { frame("image_generation.partial_failed", ["image_index": .int(i), "error": error]) }
                frame("image_generation.completed", ["usage": ["generated_images": 1, "output_tokens": 16, "total_tokens": 16]])
                events.append("data: [DONE]")
            }
            let body = events.map { $0 + "\n\n" }.joined()
            return hostileResponse(200, h, record: record, contentType: "text/event-stream", body: Data(body.utf8))
        default:
            return hostileShared(h, prompt: prompt, record: record) ?? hostileResponse(500, h, record: record,
                                                                                       contentType: "text/plain", body: Data(echo.utf8))
        }
    }

    /// The hostile answer to a chat request: the shared error answers, else a reply whose every
    /// field (and its content) carries the payload.
    func hostileChat(_ h: FakeHostility, prompt: String, record: FakeArkRequest) -> HTTPResponse {
        if let shared = hostileShared(h, prompt: prompt, record: record) { return shared }
        let echo = h.text(record)
        let body: ArkJSON = [
            "id": .string(echo), "object": "chat.completion", "created": 1, "model": .string(echo),
            "choices": [["index": 0, "finish_reason": "stop", "message": ["role": "assistant", "content": .string("a reply that quotes " + echo)]]],
            "usage": ["prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2],
        ]
        return hostileResponse(200, h, record: record, contentType: "application/json", body: body.encoded())
    }

    /// The answers both endpoints give alike: an error body, gateway pages, a body that is not JSON.
    private func hostileShared(_ h: FakeHostility, prompt: String, record: FakeArkRequest) -> HTTPResponse? {
        let echo = h.text(record)
        switch h.answer(for: prompt) {
        case .errorBody:
            let body: ArkJSON = ["error": ["code": .string(echo), "message": .string(echo), "param": .string(echo), "type": .string(echo)]]
            return hostileResponse(400, h, record: record, contentType: "application/json", body: body.encoded())
        case .gatewayPage:
            let headers = record.headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n")
            let page = "<!DOCTYPE html><html><head><title>502 Bad Gateway \(echo)</title></head><body><h1>502 Bad Gateway</h1>"
                + "<pre>\(headers)</pre></body></html>"
            return hostileResponse(502, h, record: record, contentType: "text/html", body: Data(page.utf8))
        case .gatewayText:
            return hostileResponse(503, h, record: record, contentType: "text/plain",
                                   body: Data(h.straddling(record, at: 200, lead: 0).utf8))
        case .notJSON:
            let page = "<html><body>" + h.straddling(record, at: 120, lead: 0) + "</body></html>"
            return hostileResponse(200, h, record: record, contentType: "application/json", body: Data(page.utf8))
        case .imageErrors, .stream, .streamError:
            return nil
        }
    }

    /// An answer whose request-id headers carry the payload too (without CR and LF, which would
    /// end the header).
    private func hostileResponse(_ status: Int, _ h: FakeHostility, record: FakeArkRequest, contentType: String,
                                 body: Data) -> HTTPResponse {
        let inHeader = h.text(record).replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        var headers = HTTPHeaders()
        headers[HTTPHeader("Content-Type")] = contentType
        headers[HTTPHeader("X-Request-Id")] = inHeader
        headers[HTTPHeader("X-Client-Request-Id")] = inHeader
        return HTTPResponse(statusCode: HTTPStatusCode(status, phrase: Self.phrase(status)), headers: headers, body: body)
    }
}
