import AssetBuildCore
import FlyingFox
import Foundation

/// A validation failure: the 4xx the real service would send.
struct FakeRejection: Error {
    var status = 400
    var code = "InvalidParameter"
    var message: String
    var param = ""
}

/// What a valid image request asks for.
struct GenerationPlan {
    var model: ImageModel
    var requestedModel: String
    var isGroup: Bool
    var stream: Bool
    var base64: Bool
    var count: Int
    var width: Int
    var height: Int
}

enum Outcome: Equatable {
    case image(width: Int, height: Int, colour: Int)
    case moderated
    case internalError
}

extension FakeArkCore {
    func generations(_ record: FakeArkRequest) async throws -> HTTPResponse {
        let requestID = newRequestID()
        let (refused, fault) = admit(record, requestID: requestID)
        if let refused { return refused }
        let behavior = state.withLock { $0.behavior }
        var plan: GenerationPlan
        do {
            plan = try validate(record.json, behavior: behavior)
        } catch let r as FakeRejection {
            return errorResponse(r.status, code: r.code, message: r.message, param: r.param, requestID: requestID, record: record)
        }
        if let hostile = behavior.hostile {
            return hostileGeneration(hostile, plan: plan, prompt: record.json?["prompt"]?.string ?? "", record: record, requestID: requestID)
        }
        if let answer = await immediateFault(fault, record: record, requestID: requestID) { return answer }
        if let hold = behavior.beforeAnswer { await hold(record) }
        if let huge = behavior.hugeAnswerBytes { return hugeAnswer(huge, stream: plan.stream, record: record, requestID: requestID) }
        plan.stream = answersAsStream(plan.stream, behavior)

        var outcomes: [Outcome] = []
        for i in 0..<plan.count {
            if i == behavior.internalErrorAtImage { outcomes.append(.internalError); break }
            outcomes.append(behavior.moderatedImages.contains(i)
                ? .moderated : .image(width: plan.width, height: plan.height, colour: i))
        }
        let successes = outcomes.filter { if case .image = $0 { return true } else { return false } }.count
        if let limit = behavior.imagesPerMinute,
           !reserveImages(plan.model.id, count: max(1, successes), limit: limit, window: behavior.imagesPerMinuteWindow) {
            return errorResponse(429, code: "ModelAccountIpmRateLimitExceeded",
                                 message: behavior.rateLimitMessage
                                     ?? "IPM (Images Per Minute) limit of the model \(plan.model.id) is exceeded. Please try again later.",
                                 param: behavior.rateLimitParam, requestID: requestID, record: record,
                                 retryAfter: behavior.rateLimitRetryAfter)
        }
        for (i, o) in outcomes.enumerated() {
            if case .image(let w, let h, let c) = o {
                state.withLock { $0.files["\(requestID)_\(i).jpeg"] = FakeFile(width: w, height: h, colour: c) }
            }
        }
        if plan.stream {
            return dressStream(await streamResponse(plan, outcomes: outcomes, fault: fault, behavior: behavior,
                                                    record: record, requestID: requestID), behavior)
        }
        if behavior.imageLatency > .zero { try? await Task.sleep(for: behavior.imageLatency * outcomes.count) }
        if !plan.isGroup, outcomes.first == .moderated, behavior.singleImageModeration == .http400 {
            return errorResponse(400, code: "OutputImageSensitiveContentDetected",
                                 message: "The request failed because the output image may contain sensitive information.",
                                 requestID: requestID, record: record)
        }
        var shown = outcomes
        var topError: ArkJSON?
        switch fault {
        case .errorEvent(let k)?, .streamEndsEarly(let k)?:
            shown = Array(outcomes.prefix(k))
            topError = ["code": "InternalServiceError", "message": "The service encountered an unexpected internal error."]
        default:
            break
        }
        var body: [String: ArkJSON] = [
            "model": .string(plan.requestedModel),
            "data": .array(shown.enumerated().map { item($0.element, index: $0.offset, plan: plan, requestID: requestID) }),
            "usage": usage(shown),
        ]
        addCreated(&body, behavior)
        if let topError { body["error"] = topError }
        let truncated: Bool
        switch fault {
        case .truncatedBody?, .truncatedStream?: truncated = true
        default: truncated = false
        }
        return dressJSON(jsonResponse(.object(body), record: record, requestID: requestID, truncated: truncated),
                         json: .object(body), behavior)
    }

    // MARK: answers

    func item(_ outcome: Outcome, index: Int, plan: GenerationPlan, requestID: String) -> ArkJSON {
        switch outcome {
        case .image(let w, let h, let c):
            var o: [String: ArkJSON] = [:]
            if plan.base64 {
                o["b64_json"] = .string(answerImage(width: w, height: h, colour: c, index: index).base64EncodedString())
            } else {
                o["url"] = .string("\(origin)/files/\(requestID)_\(index).jpeg?X-Tos-Algorithm=TOS4-HMAC-SHA256"
                    + "&X-Tos-Credential=fake%2F20261124%2Fcn-beijing%2Ftos%2Frequest&X-Tos-Date=20261124T000000Z"
                    + "&X-Tos-Expires=86400&X-Tos-Signature=0f1e2d3c&X-Tos-SignedHeaders=host")
            }
            if plan.model.family == .seedream45 || plan.model.family == .seedream40 { o["size"] = .string("\(w)x\(h)") }
            return .object(o)
        case .moderated:
            return ["error": ["code": "OutputImageSensitiveContentDetected",
                              "message": "The request failed because the output image may contain sensitive information."]]
        case .internalError:
            return ["error": ["code": "InternalServiceError", "message": "The service encountered an unexpected internal error."]]
        }
    }

    func usage(_ outcomes: [Outcome]) -> ArkJSON {
        var pixels = 0
        var images = 0
        for case .image(let w, let h, _) in outcomes {
            pixels += w * h
            images += 1
        }
        return ["generated_images": .int(images), "output_tokens": .int(pixels / 256), "total_tokens": .int(pixels / 256)]
    }

    func addCreated(_ o: inout [String: ArkJSON], _ behavior: FakeArkBehavior) {
        let now = ArkJSON.int(Int(Date().timeIntervalSince1970))
        switch behavior.createdField {
        case .created: o["created"] = now
        case .createdAt: o["created_at"] = now
        case .both: o["created"] = now; o["created_at"] = now
        case .none: break
        }
    }

    /// Reserves `count` images in the model's window (a minute); false when that exceeds the limit.
    func reserveImages(_ model: String, count: Int, limit: Int, window: Duration = .seconds(60)) -> Bool {
        let now = ContinuousClock.now
        return state.withLock { s in
            var times = (s.imageTimes[model] ?? []).filter { now - $0 < window }
            guard times.count + count <= limit || (times.isEmpty && count > limit) else {
                s.imageTimes[model] = times
                return false
            }
            times.append(contentsOf: Array(repeating: now, count: count))
            s.imageTimes[model] = times
            return true
        }
    }

    // MARK: streaming

    func streamResponse(_ plan: GenerationPlan, outcomes: [Outcome], fault: FakeArkFault?, behavior: FakeArkBehavior,
                        record: FakeArkRequest, requestID: String) async -> HTTPResponse {
        let le = behavior.sseLineEnding
        var stopAt: Int?
        switch fault {
        case .truncatedStream(let k)?, .streamEndsEarly(let k)?, .errorEvent(let k)?, .streamHangs(let k)?: stopAt = k
        case .truncatedBody?: stopAt = 0
        default: stopAt = nil
        }
        func frame(_ type: String, _ fields: [String: ArkJSON]) -> [UInt8] {
            var o = fields
            o["type"] = .string(type)
            o["model"] = .string(plan.requestedModel)
            addCreated(&o, behavior)
            let json = String(decoding: ArkJSON.object(o).encoded(), as: UTF8.self)
            guard behavior.sseSpecExtras else { return Array("event: \(type)\(le)data: \(json)\(le)\(le)".utf8) }
            // The same event as the SSE spec also allows it: data over two lines (joined with a
            // line feed, which JSON reads as a space), an id, a retry and a field nobody knows.
            let split = json.index(after: json.startIndex)
            return Array(("id: \(type.count)-\(json.count)\(le)event: \(type)\(le)retry: 3000\(le)x-trace: fake\(le)"
                + "data: \(json[..<split])\(le)data:\(json[split...])\(le)\(le)").utf8)
        }
        func outcomeFrames(_ index: Int) -> [UInt8] {
            var bytes: [UInt8] = []
            switch outcomes[index] {
            case .image:
                if behavior.partialImageEvents {
                    bytes += frame("image_generation.partial_image", ["image_index": .int(index), "partial_image_index": 0])
                }
                var fields = item(outcomes[index], index: index, plan: plan, requestID: requestID).object ?? [:]
                fields["image_index"] = .int(streamedIndex(index, behavior))
                bytes += frame("image_generation.partial_succeeded", fields)
            case .moderated, .internalError:
                var fields = item(outcomes[index], index: index, plan: plan, requestID: requestID).object ?? [:]
                fields["image_index"] = .int(index)
                bytes += frame("image_generation.partial_failed", fields)
            }
            return bytes
        }

        // The head goes out only when the first image is done.
        if behavior.imageLatency > .zero, !outcomes.isEmpty, stopAt != 0 { try? await Task.sleep(for: behavior.imageLatency) }
        let (chunks, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
        let producer = Task {
            if behavior.unreadableEvents {
                continuation.yield(Array("event: image_generation.partial_succeeded\(le)data: {\"type\":\"image_generation.partial_succ\(le)\(le)".utf8))
                continuation.yield(Array("data: {\"note\":\"an event without a type\"}\(le)\(le)".utf8))
            }
            for index in outcomes.indices {
                if index == stopAt, case .streamHangs? = fault {
                    // Silence on an open connection, until the client gives up (or the server stops).
                    try? await Task.sleep(for: .seconds(3600))
                    return continuation.finish()
                }
                if index == stopAt { return endEarly(fault, continuation: continuation, le: le) }
                if index > 0 {
                    if behavior.keepAliveComments { continuation.yield(Array(": keepalive\(le)\(le)".utf8)) }
                    if behavior.imageLatency > .zero {
                        do { try await Task.sleep(for: behavior.imageLatency) } catch { return }
                    }
                    if let hold = behavior.beforeStreamedImage { await hold(index) }
                }
                if !behavior.lostImageEvents.contains(index) { continuation.yield(outcomeFrames(index)) }
            }
            if stopAt == outcomes.count { return endEarly(fault, continuation: continuation, le: le) }
            if behavior.keepAliveComments { continuation.yield(Array(": keepalive\(le)\(le)".utf8)) }
            continuation.yield(frame("image_generation.completed", ["usage": usage(outcomes)]))
            if case .streamWithoutDone? = fault { return continuation.finish() }
            continuation.yield(Array("data: [DONE]\(le)\(le)".utf8))
            continuation.finish()
        }
        continuation.onTermination = { _ in producer.cancel() }
        var headers = responseHeaders(record, requestID: requestID, contentType: "text/event-stream; charset=utf-8")
        headers[HTTPHeader("Cache-Control")] = "no-cache"
        return HTTPResponse(statusCode: .ok, headers: headers, body: HTTPBodySequence(from: ChunkSequence(chunks: chunks)))
    }

    private func endEarly(_ fault: FakeArkFault?, continuation: AsyncThrowingStream<[UInt8], any Error>.Continuation,
                          le: String) {
        switch fault {
        case .errorEvent?:
            let error: ArkJSON = ["error": ["code": "InternalServiceError",
                                            "message": "The service encountered an unexpected internal error."]]
            continuation.yield(Array("data: \(String(decoding: error.encoded(), as: UTF8.self))\(le)\(le)".utf8))
            continuation.finish()
        case .streamEndsEarly?:
            continuation.finish()
        default:
            continuation.finish(throwing: FakeArkStreamAborted())
        }
    }
}
