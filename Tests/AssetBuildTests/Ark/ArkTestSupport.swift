@testable import AssetBuildCore
import FakeArk
import Foundation
import Synchronization
import Testing

/// Collects what a provider hands over.
actor RecordingSink: ImageSink {
    private(set) var images: [ReceivedImage] = []
    private(set) var failures: [ImageFailure] = []
    private(set) var receivedAt: [ContinuousClock.Instant] = []
    private(set) var warnings: [String] = []

    func imageReceived(_ image: ReceivedImage) async throws {
        images.append(image)
        receivedAt.append(.now)
    }

    func imageFailed(_ failure: ImageFailure) async { failures.append(failure) }

    func warning(_ message: String) async { warnings.append(message) }

    var indices: [Int] { images.map(\.index) }
}

/// The waits a client asked for between download attempts; returns at once (tests stay fast).
final class SleepRecorder: Sendable {
    private let recorded = Mutex<[Duration]>([])
    var waits: [Duration] { recorded.withLock { $0 } }
    func sleep(_ d: Duration) async throws {
        try Task.checkCancellation()
        recorded.withLock { $0.append(d) }
    }
}

/// A fake Ark server, a curl transport and a client pointed at it. Download retries wait through
/// `sleeps`, which records the waits and returns at once.
struct ArkHarness {
    static let key = "sk-test-5f3a9c1e77b24d0c"
    let fake: FakeArkServer
    let transport: CurlTransport
    let client: ArkClient
    let sleeps: SleepRecorder

    static func make(timeouts: ArkClient.Timeouts = .init(), downloadRetry: ArkClient.DownloadRetry = .init(),
                     _ configure: (inout FakeArkBehavior) -> Void = { _ in }) async throws -> ArkHarness {
        var behavior = FakeArkBehavior()
        behavior.apiKey = key
        configure(&behavior)
        let fake = try await FakeArkServer.start(behavior)
        let transport = CurlTransport()
        let sleeps = SleepRecorder()
        let client = ArkClient(baseURL: fake.baseURL, apiKey: key, transport: transport, timeouts: timeouts,
                               downloadRetry: downloadRetry, sleep: { try await sleeps.sleep($0) })
        return ArkHarness(fake: fake, transport: transport, client: client, sleeps: sleeps)
    }

    func close() async {
        transport.shutdown()
        await fake.stop()
    }
}

func withArk<T>(timeouts: ArkClient.Timeouts = .init(), downloadRetry: ArkClient.DownloadRetry = .init(),
                _ configure: (inout FakeArkBehavior) -> Void = { _ in },
                _ body: (ArkHarness) async throws -> T) async throws -> T {
    let h = try await ArkHarness.make(timeouts: timeouts, downloadRetry: downloadRetry, configure)
    do {
        let result = try await body(h)
        await h.close()
        return result
    } catch {
        await h.close()
        throw error
    }
}

enum Models {
    static let v45 = "doubao-seedream-4-5-251128"
    static let v40 = "doubao-seedream-4-0-250828"
    static let t2i30 = "doubao-seedream-3-0-t2i-250415"
    static let edit30 = "doubao-seededit-3-0-i2i-250628"
}

func request(_ prompt: String = "a red fox", model: String = Models.v45, references: [ReferenceInput] = [],
             size: String? = "2K", maxImages: Int = 1, watermark: Bool = false, stream: Bool = false,
             format: ResponseFormat = .url) -> ImageRequest {
    ImageRequest(target: "fox", model: model, prompt: prompt, references: references, size: size, maxImages: maxImages,
                 options: OptionValues(["watermark": .bool(watermark), "stream": .bool(stream)]), responseFormat: format)
}

/// Runs `body`, which must throw a `ProviderError`, and returns it.
func providerError(_ body: () async throws -> Void) async -> ProviderError? {
    do {
        try await body()
        Issue.record("expected a ProviderError, got success")
    } catch let e as ProviderError {
        return e
    } catch {
        Issue.record("expected a ProviderError, got \(error)")
    }
    return nil
}

/// A small valid PNG for references: 16×16, as the service refuses sides of 14 px or less
/// (the fake does too).
let tinyPNG = try! PNGCodec.encode(RGBImage(width: 16, height: 16, color: RGBColor(40, 160, 90)))

/// Width and height from a JPEG's SOF segment.
func jpegSize(_ data: Data) -> (Int, Int)? {
    let b = [UInt8](data)
    guard b.count > 4, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
    var i = 2
    while i + 9 < b.count {
        guard b[i] == 0xFF else { return nil }
        let marker = b[i + 1]
        let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
        if (0xC0...0xC3).contains(marker) { return (Int(b[i + 7]) << 8 | Int(b[i + 8]), Int(b[i + 5]) << 8 | Int(b[i + 6])) }
        i += 2 + length
    }
    return nil
}

/// Holds each caller of `arrive` until `count` callers have arrived, or `timeout` passed since
/// the first waiter came (then lets everyone go and remembers that it timed out): an event for a
/// test to wait on instead of a wall-clock bound.
actor Rendezvous {
    let count: Int
    private var arrived = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private(set) var timedOut = false

    init(_ count: Int) { self.count = count }

    func arrive(timeout: Duration) async {
        arrived += 1
        guard arrived < count else { return release() }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire()
        }
        await withCheckedContinuation { waiting.append($0) }
        timer.cancel()
    }

    private func expire() {
        guard !waiting.isEmpty else { return }
        timedOut = true
        release()
    }

    private func release() {
        for w in waiting { w.resume() }
        waiting.removeAll()
    }
}

/// The value of `body`, or a recorded issue (and nil) when it took longer than `limit`: a
/// generous guard around something that would otherwise hang forever, not a speed bound.
func within<T: Sendable>(_ limit: Duration, sourceLocation: Testing.SourceLocation = #_sourceLocation,
                         _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        if first == nil { Issue.record("still running after \(limit)", sourceLocation: sourceLocation) }
        return first
    }
}
