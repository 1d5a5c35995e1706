import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// Downloads the bytes behind a URL (a `pin: true` reference). A small protocol so the engine is
/// tested against a local server, or without a network at all.
public protocol URLFetcher: Sendable {
    func fetch(_ url: String) async throws -> Data
}

/// Plain GETs through libcurl with `ImageDownload`'s retries and image check. The transport (a
/// curl thread) is made only when something is fetched: most builds fetch nothing.
public struct CurlURLFetcher: URLFetcher {
    package let configuration: CurlTransport.Configuration
    package let clock: any BuildClock
    package var retry = ImageDownload.Retry(attempts: 3)

    public init(configuration: CurlTransport.Configuration = .init(), clock: any BuildClock = SystemClock()) {
        self.configuration = configuration
        self.clock = clock
    }

    public func fetch(_ url: String) async throws -> Data {
        let transport = CurlTransport(configuration: configuration)
        defer { transport.shutdown() }
        let request = TransportRequest(url: url, headers: [("User-Agent", "assetbuild/\(AssetBuildVersion.current)"),
                                                           ("Accept", "image/*;q=0.9, */*;q=0.1")],
                                       connectTimeout: .seconds(15), stallTimeout: .seconds(60))
        do {
            return try await ImageDownload.fetch(request, over: transport, retry: retry, sleep: { [clock] in try await clock.sleep(for: $0) },
                                                 now: { [clock] in clock.wallNow() })
        } catch let failure as ImageDownload.Failure {
            if failure.notImage { throw PinError("the answer is not a usable image: \(failure.reason)") }
            throw PinError(failure.reason + (failure.attempts > 1 ? " (after \(failure.attempts) attempts)" : ""))
        }
    }
}

package struct PinError: Error, CustomStringConvertible {
    package var description: String
    package init(_ d: String) { description = d }
}

/// The URL answered, but not with the bytes `assetbuild.lock` pinned.
package struct PinMismatch: Error, CustomStringConvertible {
    package var description: String
}

/// Brings every `pin: true` URL of a manifest into the cache: downloaded once, checked as an
/// image, stored as an object and recorded, so the targets that use it are keyed by its bytes
/// and later builds download nothing. `--repin` downloads them all again: a target rebuilds only
/// when the bytes behind its URL really changed.
public struct URLPinner: Sendable {
    public var fetcher: any URLFetcher

    public init(fetcher: any URLFetcher) {
        self.fetcher = fetcher
    }

    /// The pinned URLs of `actions`' inputs, in declaration order, once each.
    public static func pinnedURLs(_ actions: [any PlannedAction]) -> [String] {
        var seen = Set<String>(), out: [String] = []
        for action in actions {
            for url in action.pinnedURLs where seen.insert(url).inserted { out.append(url) }
        }
        return out
    }

    /// Downloads what is not pinned yet (everything with `repin`). Returns why each URL that
    /// could not be pinned failed; the targets using it fail with that reason, the rest go on.
    /// `locked`: the pins `assetbuild.lock` records. A URL pinned there (a fresh clone, another
    /// machine's cache) must answer those very bytes, or its targets fail: accepting other bytes
    /// would pay for new images behind the user's back. `repin` accepts whatever it answers.
    public func pin(_ urls: [String], cache: BuildCache, repin: Bool, locked: [String: String] = [:],
                    reporter: any BuildReporter) async throws -> [String: String] {
        let known = try cache.pins()
        var failures: [String: String] = [:]
        for url in urls where repin || known[url] == nil {
            try Task.checkCancellation()
            do {
                let data = try await fetcher.fetch(url)
                let info: ImageInfo
                do { info = try ImageProbe.probeWhole(data) } catch {
                    throw PinError("the \(data.count) bytes it answered are not a usable image (\(error))")
                }
                if !repin, let sha = locked[url], known[url] == nil, case let now = SHA256.hash(data).hex, now != sha {
                    throw PinMismatch(description: "is no longer the image assetbuild.lock pinned (sha256 \(sha.prefix(12))…, now \(now.prefix(12))…); 'assetbuild build --repin' accepts the new one, and its targets rebuild")
                }
                let id = try cache.objects.put(data)
                let record = PinRecord(url: url, object: id, format: info.format, width: info.width, height: info.height,
                                       byteCount: data.count)
                try cache.recordPin(record)
                if let old = known[url], old.object != id {
                    reporter.report(.warning("pinned URL \(url) changed: its targets rebuild (\(old.object.hex.prefix(12)) -> \(id.hex.prefix(12)))"))
                }
            } catch is CancellationError {
                throw CancellationError()
            } catch let mismatch as PinMismatch {
                failures[url] = "pinned URL \(url) \(mismatch)"
            } catch {
                if known[url] != nil {
                    // A repin that failed keeps the bytes pinned before.
                    reporter.report(.warning("pinned URL \(url) could not be downloaded again (\(error)); keeping the bytes pinned before"))
                } else {
                    failures[url] = "pinned URL \(url) could not be downloaded: \(error); check the address and the network, or download the image and reference the file"
                }
            }
        }
        return failures
    }
}
