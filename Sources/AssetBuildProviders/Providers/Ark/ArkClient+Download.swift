import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// Images answered as URLs: downloaded at once, checked to be images, retried on what a storage
/// host may get over, and never generated again when the download alone fails.
extension ArkClient {
    /// GETs a generated image's URL at once (they expire), with `ImageDownload`'s retries. No API
    /// key goes to that host. Whatever still fails is `.notDownloaded`: the image is paid for, so the
    /// scheduler must not generate it again; the message names the host, never the signed URL.
    package func download(_ url: String, index: Int, run: GenerationRun) async throws -> Data {
        let get = TransportRequest(method: "GET", url: url,
                                   headers: [("User-Agent", userAgent), ("Accept", "image/jpeg, image/*;q=0.9, */*;q=0.1")],
                                   connectTimeout: timeouts.connect, stallTimeout: timeouts.downloadStall)
        let host = URLComponents(string: url)?.host.map { ServerText($0).text } ?? "the image host"
        func failed(_ why: String, attempts: Int) -> ProviderError {
            ProviderError(.notDownloaded(host: host), target: run.target, code: "ImageDownloadFailed",
                          message: "image \(index + 1) was generated but could not be downloaded from \(host)"
                              + " (\(attempts) attempt\(attempts == 1 ? "" : "s"); last: \(scrub(why)))",
                          requestID: run.requestID)
        }
        do {
            return try await ImageDownload.fetch(get, over: transport, retry: downloadRetry, sleep: sleep, now: { [clock] in clock.wallNow() })
        } catch let failure as ImageDownload.Failure {
            throw failed(failure.reason, attempts: failure.attempts)
        }
    }

    /// A failed download is the error to report even when the answer failed otherwise later:
    /// it marks a paid image, which must not be generated again in this build.
    package func preferringUndelivered(_ error: any Error, run: GenerationRun) -> any Error {
        guard var undelivered = run.deferredError as? ProviderError, case .notDownloaded = undelivered.kind,
              let other = error as? ProviderError, other.kind != .cancelled else { return error }
        undelivered.imagesReceived = max(undelivered.imagesReceived, run.imagesReceived)
        if run.undelivered > 1 { undelivered.message += "; \(run.undelivered) images in all were not downloaded" }
        if other.kind != undelivered.kind { undelivered.message += "; then the answer failed: \(other.message)" }
        return undelivered
    }
}
