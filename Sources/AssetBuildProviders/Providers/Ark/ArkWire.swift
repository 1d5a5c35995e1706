import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// Ark's wire format (ark-api.md): request bodies, error bodies, headers. Pure functions.
package enum ArkWire {
    // MARK: request bodies

    /// The body of `POST /images/generations`: exactly the fields the request means, no nulls,
    /// `watermark` always for a target (the service defaults it to true, the table to true too).
    package static func imageBody(_ r: ImageRequest) -> ArkJSON {
        var o: [String: ArkJSON] = [
            "model": .string(r.model),
            "prompt": .string(r.prompt),
            "response_format": .string(r.responseFormat.rawValue),
        ]
        let images = r.references.map { ArkJSON.string(referenceString($0)) }
        if images.count == 1 { o["image"] = images[0] } else if images.count > 1 { o["image"] = .array(images) }
        if let size = r.size { o["size"] = .string(size) }
        if r.maxImages > 1 {
            o["sequential_image_generation"] = "auto"
            o["sequential_image_generation_options"] = ["max_images": .int(r.maxImages)]
        }
        put(r.options, of: .image, into: &o)
        return .object(o)
    }

    /// Each option of `values` where `OptionTable` says it goes in the body.
    package static func put(_ values: OptionValues, of target: GenerationOption.Target, into o: inout [String: ArkJSON]) {
        for option in OptionTable.options(for: target) {
            guard let value = values[option.name], let request = option.request, option.sends(value) else { continue }
            let json: ArkJSON
            switch value {
            case .bool(let b): json = .bool(b)
            case .int(let i): json = .int(i)
            case .number(let d): json = .double(d)
            case .string(let s): json = .string(s)
            }
            switch request {
            case .field(let name), .flag(let name): o[name] = json
            case .object(let outer, let inner): o[outer] = .object([inner: json])
            }
        }
    }

    /// A URL as given; bytes as `data:image/<lowercase format>;base64,…`.
    package static func referenceString(_ ref: ReferenceInput) -> String {
        switch ref {
        case .url(let url):
            return url
        case .bytes(let data, let format):
            var fmt = format.lowercased()
            if fmt == "jpg" { fmt = "jpeg" } else if fmt == "tif" { fmt = "tiff" }
            return "data:image/\(fmt);base64,\(data.base64EncodedString())"
        }
    }

    /// The body of `POST /chat/completions`. Nil when a JSON schema is not valid JSON.
    package static func chatBody(_ r: TextRequest) -> ArkJSON? {
        var messages: [ArkJSON] = []
        if let system = r.system { messages.append(["role": "system", "content": .string(system)]) }
        messages.append(["role": "user", "content": .string(r.prompt)])
        var o: [String: ArkJSON] = ["model": .string(r.model), "messages": .array(messages)]
        switch r.responseFormat {
        case .text:
            break
        case .jsonObject:
            o["response_format"] = ["type": "json_object"]
        case .jsonSchema(let name, let schema, let strict):
            guard let parsed = ArkJSON.parse(Data(schema.utf8)), parsed.object != nil else { return nil }
            o["response_format"] = [
                "type": "json_schema",
                "json_schema": ["name": .string(name), "schema": parsed, "strict": .bool(strict)],
            ]
        }
        put(r.options, of: .text, into: &o)
        return .object(o)
    }

    // MARK: headers

    /// `yyyyMMddHHmmss` (UTC) followed by 20 random ASCII letters and digits, as the SDKs send.
    package static func makeClientRequestID(now: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: now)
        func two(_ v: Int?) -> String { let s = String(v ?? 0); return s.count < 2 ? "0" + s : s }
        let stamp = String(c.year ?? 1970) + two(c.month) + two(c.day) + two(c.hour) + two(c.minute) + two(c.second)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var g = SystemRandomNumberGenerator()
        return stamp + String((0..<20).map { _ in alphabet.randomElement(using: &g)! })
    }

    /// `Retry-After` as delta-seconds or an HTTP-date (IMF-fixdate, RFC 850 or asctime).
    /// Splits a JSON object's `"b64_json"` string out of its text: the decoded image, and the text
    /// with that value emptied (so the rest parses in microseconds instead of walking megabytes).
    /// Returns nil when the value is absent, escaped or not valid base64: the caller then parses
    /// the whole text as usual.
    package static func splitBase64(_ text: String) -> (image: Data, rest: String)? {
        let utf8 = text.utf8
        let key = #""b64_json""#.utf8
        guard let keyRange = utf8.firstRange(of: key) else { return nil }
        var i = keyRange.upperBound
        while i < utf8.endIndex, utf8[i] == UInt8(ascii: " ") || utf8[i] == UInt8(ascii: ":") || utf8[i] == UInt8(ascii: "\n")
            || utf8[i] == UInt8(ascii: "\t") || utf8[i] == UInt8(ascii: "\r") {
            i = utf8.index(after: i)
        }
        guard i < utf8.endIndex, utf8[i] == UInt8(ascii: "\"") else { return nil }
        let start = utf8.index(after: i)
        guard let end = utf8[start...].firstIndex(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }),
              utf8[end] == UInt8(ascii: "\"") else { return nil }
        guard let image = Data(base64Encoded: Data(utf8[start..<end]), options: .ignoreUnknownCharacters) else { return nil }
        let rest = String(text[..<start]) + String(text[end...])
        return (image, rest)
    }

    package static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let v = value?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        if let seconds = Double(v) {
            guard seconds.isFinite, seconds >= 0 else { return nil }
            return .milliseconds(Int64((seconds * 1000).rounded()))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: v) {
                let ms = max(0, (date.timeIntervalSince(now) * 1000).rounded())
                return .milliseconds(Int64(ms))
            }
        }
        return nil
    }

    /// The service's id for the request: `X-Request-Id`, else the echoed `X-Client-Request-Id`,
    /// else the one we sent.
    package static func requestID(_ headers: HTTPHeaderFields, sent: String) -> ServerText {
        if let id = headers["X-Request-Id"], !id.isEmpty { return ServerText(id) }
        if let id = headers["X-Client-Request-Id"], !id.isEmpty { return ServerText(id) }
        return ServerText(sent)
    }

    // MARK: answers

    /// An answer's JSON with every string scrubbed as `ServerText`, whatever field a reader takes
    /// it from, except the payloads: image bytes and URLs (`b64_json`, `url`) as sent, and a chat
    /// reply's text (`content`) with keys redacted but its lines kept. Nil when it is not JSON.
    package static func answer(_ data: Data) -> ArkJSON? {
        ArkJSON.parse(data).map { scrubbed($0, field: nil) }
    }

    private static func scrubbed(_ json: ArkJSON, field: String?) -> ArkJSON {
        switch json {
        case .string(let s):
            switch field {
            case "b64_json", "url": return json
            case "content", "reasoning_content": return .string(Secrets.redact(s))
            default: return .string(ServerText(s).text)
            }
        case .array(let a): return .array(a.map { scrubbed($0, field: field) })
        case .object(let o): return .object(Dictionary(uniqueKeysWithValues: o.map { ($0.key, scrubbed($0.value, field: $0.key)) }))
        default: return json
        }
    }

    /// The `model` an answer names.
    package static func model(_ json: ArkJSON) -> ServerText? { json["model"]?.string.map { ServerText($0) } }

    package struct ErrorBody: Equatable {
        package var code: ServerText?
        package var message: ServerText?
        package var param: ServerText?
        package var type: ServerText?

        /// Memberwise, spelled out so the other targets of the package can call it.
        package init(code: ServerText? = nil, message: ServerText? = nil, param: ServerText? = nil, type: ServerText? = nil) {
            self.code = code
            self.message = message
            self.param = param
            self.type = type
        }
    }

    /// Reads `{"error":{"code","message","param","type"}}`, tolerating missing fields, an `error`
    /// that is a bare string, a flat `{"code","message"}`, non-JSON text and HTML pages.
    package static func parseError(_ body: Data) -> ErrorBody {
        if let json = answer(body) {
            return parseError(json) ?? ErrorBody()
        }
        let text = plainText(body)
        return ErrorBody(message: text.isEmpty ? nil : text)
    }

    package static func parseError(_ json: ArkJSON) -> ErrorBody? {
        func text(_ v: ArkJSON?) -> ServerText? {
            guard let v else { return nil }
            if let s = v.string { return ServerText(s) }
            if let i = v.int { return ServerText(String(i)) }
            return nil
        }
        if let e = json["error"] {
            if let s = e.string { return ErrorBody(message: ServerText(s)) }
            guard e.object != nil else { return nil }
            return ErrorBody(code: text(e["code"]), message: text(e["message"]), param: text(e["param"]),
                             type: text(e["type"]))
        }
        if json["message"] != nil || json["code"] != nil {
            return ErrorBody(code: text(json["code"]), message: text(json["message"]), param: text(json["param"]))
        }
        return nil
    }

    /// A short one-line rendering of a non-JSON body (an HTML error page's title, or its text),
    /// scrubbed before it is cut to `limit` characters.
    package static func plainText(_ body: Data, limit: Int = 200) -> ServerText {
        let window = 64 * 1024
        var s = Secrets.redact(String(decoding: body.prefix(window), as: UTF8.self), complete: body.count <= window)
        if let start = s.range(of: "<title>", options: .caseInsensitive),
           let end = s.range(of: "</title>", options: .caseInsensitive, range: start.upperBound..<s.endIndex) {
            s = String(s[start.upperBound..<end.lowerBound])
        } else if s.contains("<") {
            s = s.replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
        }
        let words = s.split(whereSeparator: { $0.isWhitespace || $0.isNewline })
        return ServerText(ServerText(words.joined(separator: " ")).excerpt(limit))
    }

    /// `"2496x1664"` (also with `×` or `X`) → (2496, 1664).
    package static func parseSize(_ value: String?) -> (width: Int, height: Int)? {
        guard let v = value else { return nil }
        let parts = v.split(whereSeparator: { $0 == "x" || $0 == "X" || $0 == "×" || $0 == "*" })
        guard parts.count == 2,
              let w = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let h = Int(parts[1].trimmingCharacters(in: .whitespaces)), w > 0, h > 0 else { return nil }
        return (w, h)
    }

    package static func parseUsage(_ json: ArkJSON?) -> Usage? {
        guard let u = json, u.object != nil else { return nil }
        let images = u["generated_images"]?.int ?? 0
        let output = u["output_tokens"]?.int ?? 0
        return Usage(generatedImages: images, outputTokens: output, totalTokens: u["total_tokens"]?.int ?? output)
    }

    /// The text inside a Markdown code fence (```json … ```), or the text itself.
    package static func unfenced(_ content: String) -> String {
        let trimmed = content.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("```"), trimmed.hasSuffix("```"), trimmed.count >= 6 else { return content }
        var inner = trimmed.dropFirst(3).dropLast(3)
        if let newline = inner.firstIndex(of: "\n") {
            let tag = inner[..<newline].trimmingCharacters(in: .whitespaces)
            if tag.allSatisfy({ $0.isLetter }) { inner = inner[inner.index(after: newline)...] }
        }
        return inner.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension ArkWire {
    package static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 408: return "Request Timeout"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "HTTP status \(status)"
        }
    }
}
