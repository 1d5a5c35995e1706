import ArgumentParser
import FakeArk
import Foundation

/// `fake-ark`: the tests' fake Ark server on 127.0.0.1, for trying the client by hand. Prints its
/// base URL (point `ARK_BASE_URL` at it) and serves until killed.
@main
struct FakeArkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-ark",
        abstract: "A fake Volcengine Ark server on loopback, with the real wire protocol, its errors and faults.",
        discussion: """
            Prints its base URL, e.g. http://127.0.0.1:8080/api/v3, and serves until killed:
              ARK_API_KEY=test-key ARK_BASE_URL=<that URL> assetbuild build --provider ark
            """)

    @Option(help: "Port to listen on (0: any free port).")
    var port: UInt16 = 0

    @Option(help: "The only API key accepted; anything else gets 401.")
    var key = "test-key"

    @Option(name: .customLong("latency-ms"), help: "Milliseconds each image takes to generate.")
    var latencyMs = 0

    @Option(help: "Images per minute per model; beyond it, 429 ModelAccountIpmRateLimitExceeded.")
    var ipm: Int?

    @Flag(help: "Photo-like (noisy) JPEGs, as large as real ones, instead of flat colours.")
    var noisy = false

    @Option(name: .customLong("moderate"), parsing: .upToNextOption,
            help: "1-based image numbers of each group refused by moderation (the group goes on).")
    var moderated: [Int] = []

    @Option(name: .customLong("closed-model"), help: "A model that answers 404 ModelNotOpen (repeatable).")
    var closedModels: [String] = []

    @Option(name: .customLong("fault-rate"),
            help: "Share of requests (0-1) that meet a random fault: 429, 500, reset, cut body or cut stream.")
    var faultRate = 0.0

    @Option(help: "Seed of the random faults (the same seed, the same faults).")
    var seed: UInt64 = 1

    func validate() throws {
        if latencyMs < 0 { throw ValidationError("--latency-ms cannot be negative") }
        if let ipm, ipm < 1 { throw ValidationError("--ipm must be at least 1") }
        if !(0...1).contains(faultRate) { throw ValidationError("--fault-rate is a share from 0 to 1") }
        if moderated.contains(where: { $0 < 1 }) { throw ValidationError("--moderate takes image numbers from 1") }
    }

    func run() async throws {
        var behavior = FakeArkBehavior()
        behavior.apiKey = key
        behavior.imageLatency = .milliseconds(latencyMs)
        behavior.imagesPerMinute = ipm
        behavior.noisyImages = noisy
        behavior.moderatedImages = Set(moderated.map { $0 - 1 })
        behavior.closedModels = Set(closedModels)
        behavior.storyFromRequest = true
        if faultRate > 0 {
            let share = faultRate / 5
            behavior.randomFaults = .init(seed: seed, rateLimited: share, serverError: share, reset: share,
                                          truncatedBody: share, truncatedStream: share)
        }
        let server = try await FakeArkServer.start(behavior, port: port)
        FileHandle.standardOutput.write(Data((server.baseURL + "\n").utf8))
        while true { try await Task.sleep(for: .seconds(3600)) }
    }
}
