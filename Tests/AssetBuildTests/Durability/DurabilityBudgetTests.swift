@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

extension Durability {
    /// `--budget`: a plan estimated above it never starts; a build whose real spend reaches it
    /// stops admitting requests, lets what is in flight finish, fails naming the budget, and keeps
    /// every image it paid for.
    @Suite struct BudgetTests {
        static let manifest = """
            version: 1
            provider: {concurrency: 1, prices: {doubao-seedream-4-0-250828: 0.04}}
            defaults: {model: doubao-seedream-4-0-250828, watermark: false, size: 1024x1024}
            targets:
              a: {prompt: "Two images of a red fox", images: 2}
              b: {prompt: "Two images of a blue bird", images: 2}
              c: {prompt: "Two images of a green frog", images: 2}

            """

        @Test func a_budget_below_the_estimate_refuses_to_start_and_sends_nothing() async throws {
            try await withFakeArk { fake in
                let project = try ArkProject(fake: fake, manifest: Self.manifest)
                let r = try await project.build(["--budget", "0.10"])
                #expect(r.status == 2, "\(r)")
                #expect(r.stderr.contains("the plan's estimated cost is $0.24, over the budget of $0.10; nothing was sent"), "\(r)")
                #expect(fake.requests.isEmpty)
                #expect(!project.dir.exists("build/a/1.jpeg"))
                // The same limit in the manifest does the same.
                try project.write(manifest: Self.manifest.replacingOccurrences(of: "concurrency: 1,", with: "concurrency: 1, budget: 0.2,"))
                let fromManifest = try await project.build()
                #expect(fromManifest.status == 2 && fromManifest.stderr.contains("over the budget of $0.20"), "\(fromManifest)")
                #expect(fake.requests.isEmpty)
                // At the estimate exactly it builds.
                let exact = try await project.build(["--budget", "0.24"])
                #expect(exact.status == 0, "\(exact)")
                #expect(fake.generationRequests.count == 3)
            }
        }

        /// The service may return more images than asked (ark-api.md §5: one log saw 8 for a request
        /// of 5), and each is billed: the plan's estimate is then too low, and the build's own meter
        /// is what stops it. The binary cannot be made to meet such a service (the fake honours
        /// `max_images`), so this runs the engine in process with a client that asks the fake for
        /// two images more than the build wants, as such a service would send.
        @Test func spend_reaching_the_budget_stops_new_requests_and_keeps_every_image_paid_for() async throws {
            try await withFakeArk({ $0.imageLatency = .milliseconds(10) }) { fake in
                let project = try ArkProject(fake: fake, manifest: Self.manifest)
                let transport = CurlTransport()
                defer { transport.shutdown() }
                let client = ArkClient(baseURL: fake.baseURL, apiKey: fake.behavior.apiKey, transport: transport)
                let reporter = RecordingReporter()
                let workspace = try Workspace(manifest: try ManifestLoader.load(path: project.path + "/assetbuild.yaml"))
                let engine = BuildEngine(workspace: workspace, images: GenerousService(client: client, extra: 2),
                                         text: client, reporter: reporter)
                var options = BuildOptions()
                options.budget = 0.24   // the estimate: 6 images at $0.04
                // The three targets are independent: which two go first is up to the scheduler.
                var refused = ""
                do {
                    _ = try await engine.build(options)
                    Issue.record("the build should stop at the budget")
                } catch let failed as BuildFailed {
                    // The first: 4 images ($0.16, under budget) → the second admitted, 4 more while
                    // in flight ($0.32): all kept → the third is refused before anything is sent.
                    #expect(failed.summary.imagesGenerated == 8 && failed.summary.requests == 2, "\(failed.summary)")
                    #expect(abs(failed.summary.spend - 0.32) < 1e-9)
                    let message = failed.failures.first { $0.contains(": not started: the build has spent $0.32 of its $0.24 budget") }
                    refused = String(message?.prefix { $0 != ":" } ?? "")
                    #expect(["a", "b", "c"].contains(refused), "\(failed.failures)")
                }
                #expect(fake.generationRequests.count == 2)
                let prompts = ["a": "red fox", "b": "blue bird", "c": "green frog"]
                #expect(fake.sent().map(\.prompt).allSatisfy { !$0.contains(prompts[refused] ?? "?") })
                let recorded = try project.recordedImages()
                for t in ["a", "b", "c"] where t != refused {
                    #expect(recorded[t]?.count == 4, "every image paid for is kept: \(recorded.mapValues(\.count))")
                }
                #expect((recorded[refused] ?? []).isEmpty, "\(refused) never received anything")
                #expect(try project.cacheProblems().isEmpty)
            }
        }
    }
}

/// A service that sends `extra` images more than a group asks for (and bills them).
struct GenerousService: ImageProvider {
    let client: ArkClient
    let extra: Int
    var name: String { client.name }

    func generate(_ request: ImageRequest, into sink: any ImageSink) async throws -> GenerationSummary {
        var more = request
        if request.maxImages > 1 { more.maxImages += extra }
        return try await client.generate(more, into: sink)
    }
}
