import Foundation

/// Images answered as URLs: downloaded at once, checked to be images, retried on what a storage
/// host may get over, and never generated again when the download alone fails.
extension ArkClient {
    /// GETs a generated image's URL at once (they expire), retrying what a storage host may get
    /// over (5xx, 429, 408, connection errors, stalls, a body cut short). No API key goes to
    /// that host. Whatever still fails is `.notDownloaded`: the image is paid for, so the
    /// scheduler must not generate it again; the message names the host, never the signed URL.
    func download(_ url: String, index: Int, run: GenerationRun) async throws -> Data {
        let get = TransportRequest(method: "GET", url: url,
                                   headers: [("User-Agent", userAgent), ("Accept", "image/jpeg, image/*;q=0.9, */*;q=0.1")],
                                   connectTimeout: timeouts.connect, stallTimeout: timeouts.downloadStall)
        let host = URLComponents(string: url)?.host ?? "the image host"
        func failed(_ why: String, attempts: Int) -> ProviderError {
            ProviderError(.notDownloaded(host: host), target: run.target, code: "ImageDownloadFailed",
                          message: "image \(index + 1) was generated but could not be downloaded from \(host)"
                              + " (\(attempts) attempt\(attempts == 1 ? "" : "s"); last: \(scrub(why)))",
                          requestID: run.requestID)
        }
        var attempt = 1
        while true {
            var why = ""
            var retryAfter: Duration?
            do {
                let answer = try await transport.send(get)
                if answer.status == 200 {
                    switch Self.imageCheck(answer.body) {
                    case nil: return answer.body
                    case .cut(let what): why = what
                    case .notImage(let what):
                        let type = answer.headers["Content-Type"].map { "\($0), " } ?? ""
                        throw failed("HTTP 200 but \(type)\(answer.body.count) bytes that are \(what)", attempts: attempt)
                    }
                } else {
                    why = "HTTP \(answer.status)"
                    // The storage host's status, not Ark's: a 4xx means the URL itself is refused.
                    guard answer.status == 408 || answer.status == 429 || answer.status >= 500 else {
                        throw failed(why, attempts: attempt)
                    }
                    retryAfter = ArkWire.parseRetryAfter(answer.headers["Retry-After"])
                }
            } catch let error as TransportError {
                why = "curl \(error.code): \(error.message)"
            }
            guard attempt < downloadRetry.attempts else { throw failed(why, attempts: attempt) }
            try await sleep(downloadRetry.delay(after: attempt, retryAfter: retryAfter))
            attempt += 1
        }
    }

    enum ImageCheck { case cut(String), notImage(String) }

    /// Whether bytes are an image by their header (ImageProbe), whatever `size` the answer gave:
    /// an HTML error page must never be stored as a .jpeg.
    static func imageCheck(_ bytes: Data) -> ImageCheck? {
        guard !bytes.isEmpty else { return .cut("an empty body") }
        do {
            _ = try ImageProbe.probe(bytes)
            return nil
        } catch .truncated {
            return .cut("an image cut short (\(bytes.count) bytes)")
        } catch {
            let start = ArkWire.plainText(bytes, limit: 40)
            return .notImage("not an image (\(error)\(start.isEmpty ? "" : ": '\(start)'"))")
        }
    }

    /// An inline (`b64_json`) image must be an image too.
    func checkIsImage(_ bytes: Data, index: Int, run: GenerationRun) throws {
        switch Self.imageCheck(bytes) {
        case nil: return
        case .cut(let what), .notImage(let what):
            throw ProviderError(.protocolViolation, target: run.target,
                                message: "image \(index + 1) is \(scrub(what))", requestID: run.requestID)
        }
    }

    /// A failed download is the error to report even when the answer failed otherwise later:
    /// it marks a paid image, which must not be generated again in this build.
    func preferringUndelivered(_ error: any Error, run: GenerationRun) -> any Error {
        guard var undelivered = run.deferredError as? ProviderError, case .notDownloaded = undelivered.kind,
              let other = error as? ProviderError, other.kind != .cancelled else { return error }
        undelivered.imagesReceived = max(undelivered.imagesReceived, run.imagesReceived)
        if run.undelivered > 1 { undelivered.message += "; \(run.undelivered) images in all were not downloaded" }
        if other.kind != undelivered.kind { undelivered.message += "; then the answer failed: \(other.message)" }
        return undelivered
    }
}
