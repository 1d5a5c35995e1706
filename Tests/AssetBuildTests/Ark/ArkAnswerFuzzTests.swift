@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

/// Seeded property tests over the answer decoder and the SSE decoder (issue 14, "fuzzing"):
/// thousands of valid answers mutated at random (bytes flipped, cut, spliced with hostile
/// fragments) and split into random chunks. Whatever arrives, the client ends with a result or
/// a `ProviderError`, never a crash or another error, and what it hands over is only whole JPEGs
/// in distinct places it asked for. Fixed seeds: a failure reproduces; the case count bounds
/// the time (a few seconds).
@Suite struct ArkAnswerFuzzTests {
    static let jpeg = try! JPEGCodec.encode(RGBImage(width: 16, height: 16, color: RGBColor(10, 120, 200)))
    static let b64 = jpeg.base64EncodedString()

    /// Answers scripted per case: `send` and `stream` give `body` (a stream in `splits` chunks);
    /// a GET (an image URL) gets the JPEG.
    struct Scripted: HTTPTransport {
        var body: Data
        var contentType: String
        var splits: [Int]

        func send(_ r: TransportRequest) async throws -> TransportResponse {
            if r.method == "GET" { return TransportResponse(status: 200, headers: HTTPHeaderFields(), body: ArkAnswerFuzzTests.jpeg) }
            guard body.count <= r.maxBodyBytes else { throw TransportError.tooLarge(limit: r.maxBodyBytes) }
            return TransportResponse(status: 200, headers: HTTPHeaderFields([("Content-Type", contentType)]), body: body)
        }

        func stream(_ r: TransportRequest) async throws -> TransportStream {
            var chunks: [Data] = []
            var start = 0
            for cut in splits.sorted() where cut > start && cut < body.count {
                chunks.append(body.subdata(in: start..<cut))
                start = cut
            }
            chunks.append(body.subdata(in: start..<body.count))
            return TransportStream(status: 200, headers: HTTPHeaderFields([("Content-Type", contentType)]),
                                   body: AsyncThrowingStream { c in
                                       for chunk in chunks { c.yield(chunk) }
                                       c.finish()
                                   })
        }
    }

    static func whole(_ n: Int) -> String {
        let items = (0..<n).map { i in
            i % 2 == 0 ? #"{"b64_json":"\#(b64)","size":"16x16"}"# : #"{"url":"http://127.0.0.1:1/files/x_\#(i).jpeg","size":"16x16"}"#
        }
        return #"{"model":"doubao-seedream-4-5-251128","created":1,"data":[\#(items.joined(separator: ","))],"usage":{"generated_images":\#(n),"output_tokens":\#(n),"total_tokens":\#(n)}}"#
    }

    static func stream(_ n: Int) -> String {
        var s = ""
        for i in 0..<n {
            let t = "image_generation.partial_succeeded"
            s += "event: \(t)\ndata: {\"type\":\"\(t)\",\"image_index\":\(i),\"b64_json\":\"\(b64)\",\"size\":\"16x16\"}\n\n"
        }
        s += "event: image_generation.partial_failed\ndata: {\"type\":\"image_generation.partial_failed\",\"image_index\":\(n),\"error\":{\"code\":\"OutputImageSensitiveContentDetected\",\"message\":\"m\"}}\n\n"
        s += "data: {\"type\":\"image_generation.completed\",\"usage\":{\"generated_images\":\(n),\"output_tokens\":1,\"total_tokens\":1}}\n\n"
        return s + "data: [DONE]\n\n"
    }

    /// Fragments a hostile server might put anywhere.
    static let fragments = [
        #""image_index":-1"#, #""image_index":99999999999999999999"#, #""image_index":1e308"#, #""image_index":"0""#,
        "{", "}", "[", "]", ",", "\"", "\\", "data: ", "event: ", ": keepalive\n", "\n\n", "\r\n", "\r", "[DONE]",
        #""b64_json":""#, #""b64_json":"/9j/4AAQ""#, #""url":"""#, #""error":{}"#, #""error":"x""#, "null", "true", "-0",
        #""type":"image_generation.partial_succeeded""#, #""type":"image_generation.partial_failed""#,
        #""type":"image_generation.completed""#, #""data":[]"#, #""size":"0x0""#, #""size":"99999999999x2""#,
        "\u{FEFF}", "é", "\u{0}", "data: {\"data\":[{\"b64_json\":\"\(b64)\"}]}\n\n",
    ]

    static func mutate(_ text: String, _ g: inout SeededGenerator) -> Data {
        var bytes = [UInt8](text.utf8)
        for _ in 0..<Int.random(in: 0...4, using: &g) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &g)
            switch Int.random(in: 0..<5, using: &g) {
            case 0: bytes[at] = UInt8.random(in: 0...255, using: &g)
            case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...64, using: &g)))
            case 2: bytes.insert(contentsOf: Array(fragments.randomElement(using: &g)!.utf8), at: at)
            case 3: bytes = Array(bytes.prefix(at))
            default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 200)], at: at)
            }
        }
        return Data(bytes)
    }

    @Test func mutated_answers_end_in_a_result_or_a_provider_error() async throws {
        var g = SeededGenerator(seed: 0x14_2026)
        var outcomes: [String: Int] = [:]
        for case_ in 0..<3000 {
            let maxImages = Int.random(in: 1...4, using: &g)
            let streamed = Bool.random(using: &g)
            let n = Int.random(in: 0...maxImages + 1, using: &g)
            let seed = Bool.random(using: &g) ? Self.stream(n) : Self.whole(n)
            let body = Self.mutate(seed, &g)
            let splits = (0..<Int.random(in: 0...6, using: &g)).map { _ in Int.random(in: 0...max(1, body.count), using: &g) }
            let contentType = ["application/json", "text/event-stream", "text/html", ""].randomElement(using: &g)!
            let client = ArkClient(baseURL: "http://127.0.0.1:1/api/v3", apiKey: ArkHarness.key,
                                   transport: Scripted(body: body, contentType: contentType, splits: splits),
                                   downloadRetry: .init(attempts: 1), sleep: { _ in })
            let sink = RecordingSink()
            do {
                _ = try await client.generate(request("\(maxImages) images", maxImages: maxImages, stream: streamed,
                                                      format: .b64Json), into: sink)
                outcomes["ok", default: 0] += 1
            } catch let e as ProviderError {
                outcomes["\(e.kind)", default: 0] += 1
            } catch {
                Issue.record("case \(case_): \(type(of: error)) \(error) for \(String(decoding: body.prefix(300), as: UTF8.self))")
            }
            let indices = await sink.indices
            #expect(Set(indices).count == indices.count && indices.allSatisfy { (0..<maxImages).contains($0) },
                    "case \(case_): \(indices)")
            for image in await sink.images {
                #expect((try? ImageVerifier.verify(image.data))?.format == .jpeg, "case \(case_)")
            }
        }
        // The mutations reach both ends: some answers still work, some are refused.
        #expect((outcomes["ok"] ?? 0) > 100 && outcomes.count > 3, "\(outcomes)")
    }

    /// The SSE decoder gives the same events however the bytes are split, and never crashes.
    @Test func sse_decoding_does_not_depend_on_chunk_boundaries() {
        var g = SeededGenerator(seed: 7)
        let pieces = ["data:", "data: ", "event: x", "id: 1", "id: \u{0}", "retry: 30", "retry: x", ":", "\n", "\r", "\r\n",
                      "\u{FEFF}", "{\"a\":1}", "[DONE]", "é", "\u{1F98A}", "field", " ", "\n\n"]
        for case_ in 0..<5000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...40, using: &g) {
                if Int.random(in: 0..<8, using: &g) == 0 {
                    bytes.append(UInt8.random(in: 0...255, using: &g))
                } else {
                    bytes += Array(pieces.randomElement(using: &g)!.utf8)
                }
            }
            var whole = SSEDecoder()
            let expected = whole.push(bytes)
            let expectedLast = whole.finish()
            var split = SSEDecoder()
            var got: [SSEEvent] = []
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + Int.random(in: 1...8, using: &g))
                got += split.push(Data(bytes[start..<end]))
                #expect(split.pendingBytes <= bytes.count)
                start = end
            }
            #expect(got == expected, "case \(case_)")
            #expect(split.finish() == expectedLast, "case \(case_)")
        }
    }
}
