@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

/// Issue 5: what a paid build must survive. Every test runs the real `assetbuild` binary with
/// `--provider ark` against a fake Ark server in this process, on loopback. The suites run one at a
/// time: the kill test reasons about timing and should not share two cores with the others.
@Suite(.serialized) enum Durability {}

/// A project in a temporary folder whose builds run the real binary against `fake`.
struct ArkProject {
    let dir: TestDirectory
    let fake: FakeArkServer

    init(fake: FakeArkServer, manifest: String) throws {
        dir = try TestDirectory("durable")
        self.fake = fake
        try dir.write(manifest, to: "assetbuild.yaml")
    }

    var path: String { dir.path }
    var environment: [String: String] { ["ARK_API_KEY": fake.behavior.apiKey, "ARK_BASE_URL": fake.baseURL] }
    var cacheDirectory: URL { URL(fileURLWithPath: path + "/.assetbuild") }

    func write(manifest: String) throws { try dir.write(manifest, to: "assetbuild.yaml") }

    /// `assetbuild build --provider ark --json ARGS`, started and left running.
    func startBuild(_ args: [String] = []) throws -> RunningCLI {
        try startAssetbuild(["build", "--provider", "ark", "--json"] + args, in: path, environment: environment)
    }

    func build(_ args: [String] = [], timeout: Duration = .seconds(60)) async throws -> CLIResult {
        try await startBuild(args).finish(timeout: timeout)
    }

    /// Any other command (`status`, `cache verify`, …) with `--provider ark`.
    func run(_ args: [String]) async throws -> CLIResult {
        try await assetbuild(args + ["--provider", "ark"], in: path, environment: environment, timeout: .seconds(60))
    }

    /// Opens the cache as the next build would (no build may be running).
    func withCache<T>(_ body: (BuildCache) throws -> T) throws -> T {
        let cache = try BuildCache.open(directory: cacheDirectory)
        return try body(cache)
    }

    /// The images recorded for each target, from the actions whose recorded inputs contain `tag`
    /// (a word of every prompt of one manifest version). At most one action per target may match.
    func recordedImages(tag: String = "") throws -> [String: [ActionImage]] {
        guard FileManager.default.fileExists(atPath: cacheDirectory.path + "/" + BuildCache.databaseName) else { return [:] }
        return try withCache { cache in
            var out: [String: [ActionImage]] = [:]
            for action in try cache.allActions().values where tag.isEmpty || action.componentsJSON.contains(tag) {
                if out[action.target] != nil { throw TestSupportError("two actions of '\(action.target)' match '\(tag)'") }
                out[action.target] = action.images.sorted { $0.index < $1.index }
            }
            return out
        }
    }

    /// `cache verify`'s checks, in process: every object hashes to its name, every recorded image
    /// and every materialized file points at an object that exists. Empty when all is well.
    func cacheProblems() throws -> [String] {
        guard FileManager.default.fileExists(atPath: cacheDirectory.path) else { return [] }
        return try withCache { try $0.verify().map { "\($0)" } }
    }

    /// Files in `build/` that a user could mistake for real outputs but are not: anything that is
    /// not a complete JPEG whose sha256 names an object of the cache, or an unreadable record.
    /// Hidden temporary files of atomic writes (`.assetbuild-tmp-*`) are counted, not reported.
    func buildDirectoryProblems() throws -> (problems: [String], hiddenTemporaries: Int) {
        var problems: [String] = []
        var hidden = 0
        let objects = try ObjectStore(directory: cacheDirectory.appendingPathComponent("objects"))
        for file in dir.files(under: "build") {
            let name = (file as NSString).lastPathComponent
            if name.hasPrefix(".assetbuild-tmp-") {
                hidden += 1
                continue
            }
            let data = try dir.read("build/" + file)
            if file == "assetbuild.json" {
                if (try? JSONSerialization.jsonObject(with: data)) == nil { problems.append("build/assetbuild.json is not JSON") }
                continue
            }
            guard file.hasSuffix(".jpeg") else {
                problems.append("build/\(file): not an output assetbuild writes")
                continue
            }
            if !(data.starts(with: [0xFF, 0xD8]) && data.suffix(2) == Data([0xFF, 0xD9])) {
                problems.append("build/\(file): not a complete JPEG (\(data.count) bytes)")
            }
            let id = ObjectID(digest: SHA256.hash(data))
            if !objects.contains(id) { problems.append("build/\(file): sha256 \(id.hex.prefix(12))… is no object of the cache") }
        }
        if dir.exists("assetbuild.lock"), (try dir.read("assetbuild.lock")).isEmpty { problems.append("assetbuild.lock is empty") }
        return (problems, hidden)
    }
}

/// Runs `body` with a fake Ark server configured by `configure`; stops it afterwards.
func withFakeArk(_ configure: (inout FakeArkBehavior) -> Void = { _ in },
                 _ body: (FakeArkServer) async throws -> Void) async throws {
    var behavior = FakeArkBehavior()
    // Without the service's own id the client records the `X-Client-Request-Id` it sent, which the
    // fake's log holds too: a request of the log can then be matched with the cache's record of it.
    behavior.sendsRequestID = false
    configure(&behavior)
    let fake = try await FakeArkServer.start(behavior)
    do {
        try await body(fake)
    } catch {
        await fake.stop()
        throw error
    }
    await fake.stop()
}

/// One generation request as the fake received it, read back from its log.
struct SentRequest {
    var prompt: String
    /// `max_images` for a group, 1 for a single image.
    var maxImages: Int
    var stream: Bool
    var receivedAt: ContinuousClock.Instant
    var clientID: String?

    init(_ r: FakeArkRequest) {
        let json = r.json
        prompt = json?["prompt"]?.string ?? ""
        maxImages = json?["sequential_image_generation_options"]?["max_images"]?.int ?? 1
        stream = json?["stream"]?.bool ?? false
        receivedAt = r.receivedAt
        clientID = r.header("X-Client-Request-Id")
    }

    /// When the fake (with no fault and a prompt that states no count) sends image `i` at the
    /// earliest: a stream sends each image as it is done, a whole answer all at the end.
    func earliestSend(_ i: Int, latency: Duration) -> ContinuousClock.Instant {
        stream ? receivedAt + latency * (i + 1) : receivedAt + latency * maxImages
    }
}

extension FakeArkServer {
    /// Generation requests received from position `from` of the log on.
    func sent(from: Int = 0) -> [SentRequest] {
        let all = generationRequests
        return all[min(from, all.count)...].map(SentRequest.init)
    }
}

extension CLIResult {
    /// `image_received` events as (target, 0-based index).
    func receivedImages() -> [(target: String, index: Int)] {
        CLIResult.receivedImages(inJSONLines: stdout)
    }

    static func receivedImages(inJSONLines text: String) -> [(target: String, index: Int)] {
        text.split(separator: "\n").compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  o["event"] as? String == "image_received",
                  let t = o["target"] as? String, let i = o["index"] as? Int else { return nil }
            return (t, i - 1)
        }
    }
}
