@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

extension Durability {
    /// 500s, resets, cut bodies and streams, and a storm of 429s: the build retries what is safe,
    /// shows every retry, keeps everything received, and never asks again for what it has.
    @Suite struct FaultTests {
        static func manifest(maxAttempts: Int) -> String {
            """
            version: 1
            provider: {concurrency: 4, max_attempts: \(maxAttempts)}
            defaults: {model: doubao-seedream-4-0-250828, watermark: false}
            targets:
              s1: {prompt: "A red fox on a rock", size: 1024x1024}
              s2: {prompt: "A blue bird on a wire", size: 1152x896}
              s3: {prompt: "A green frog on a leaf", size: 1248x832}
              g1: {prompt: "Four images of a tin robot", images: 4, size: 1280x800}
              g2: {prompt: "Three images of a paper boat", images: 3, size: 896x1152}
              g3: {prompt: "Three images of a grey cat", images: 3, stream: false, size: 1344x768}

            """
        }

        static let counts = ["s1": 1, "s2": 1, "s3": 1, "g1": 4, "g2": 3, "g3": 3]
        static let prompts = ["red fox": "s1", "blue bird": "s2", "green frog": "s3", "tin robot": "g1",
                              "paper boat": "g2", "grey cat": "g3"]
        static func target(of prompt: String) -> String? { prompts.first { prompt.contains($0.key) }?.value }

        /// The storm: the first four requests are refused, with `Retry-After` in seconds (1 and 0),
        /// as an HTTP date, and without one.
        static let storm: [FakeArkFault] = [.rateLimited(.seconds(1)), .rateLimited(.none),
                                            .rateLimited(.httpDate(secondsFromNow: 2)), .rateLimited(.seconds(0))]

        @Test(arguments: [UInt64(37), 125])
        func random_faults_and_a_429_storm_complete_with_every_retry_shown_and_nothing_asked_twice(seed: UInt64) async throws {
            try await withFakeArk({
                $0.imageLatency = .milliseconds(20)
                $0.randomFaults = .init(seed: seed, serverError: 0.10, reset: 0.05, truncatedBody: 0.05, truncatedStream: 0.05)
            }) { fake in
                fake.enqueue(Self.storm)
                let project = try ArkProject(fake: fake, manifest: Self.manifest(maxAttempts: 12))
                // A stream cut after some of a group's images fails that target, keeping them;
                // the next build asks for the rest. Build until done (a few builds at most), with -k
                // so that one such target does not stop the others.
                var builds: [CLIResult] = []
                while builds.last?.status != 0, builds.count < 4 { builds.append(try await project.build(["-k"])) }
                #expect(builds.last?.status == 0, "\(builds)")
                let sent = fake.sent()
                let recorded = try project.recordedImages()
                let succeeded = Set(try project.withCache { try $0.allActions().values.flatMap(\.requestIDs) })
                let events = try builds.flatMap { try $0.events() }

                for (t, total) in Self.counts {
                    // Everything asked for arrived once and was kept.
                    #expect(recorded[t]?.count == total, "\(t): \(recorded[t]?.count ?? 0) of \(total) recorded")
                    let mine = events.filter { $0["target"] as? String == t }
                    let received = mine.filter { $0["event"] as? String == "image_received" }.compactMap { $0["index"] as? Int }
                    #expect(received.sorted() == Array(1...total), "\(t) received \(received)")

                    // The fake's log: attempts in order; the successful one is the last.
                    let requests = sent.filter { Self.target(of: $0.prompt) == t }
                    let wins = requests.indices.filter { requests[$0].clientID.map(succeeded.contains) ?? false }
                    #expect(wins == [requests.count - 1], "\(t): successful attempts \(wins) of \(requests.count)")

                    // Requests are separated by `retrying` (same build) or `target_started` (a
                    // later build). A retry only ever follows a request of which nothing arrived,
                    // and each request asks only for what the earlier ones did not deliver.
                    var segments: [[Int]] = []
                    var retries: [[String: Any]] = []
                    for e in mine {
                        switch e["event"] as? String {
                        case "target_started": segments.append([])
                        case "image_received": segments[segments.count - 1].append(e["index"] as? Int ?? 0)
                        case "retrying":
                            #expect(segments.last?.isEmpty == true, "\(t): retried after images arrived: \(segments)")
                            retries.append(e)
                            segments.append([])
                        default: break
                        }
                    }
                    #expect(segments.count == requests.count, "\(t): \(requests.count) requests, \(segments.count) attempts seen")
                    for e in retries {
                        #expect((e["attempt"] as? Int).map { $0 >= 2 } == true && e["max_attempts"] as? Int == 12, "\(t): \(e)")
                        #expect((e["delay_seconds"] as? Double).map { $0 >= 0 && $0 <= 30 } == true, "\(t): \(e)")
                        #expect((e["reason"] as? String)?.isEmpty == false, "\(t): \(e)")
                    }
                    var had = 0
                    for (k, request) in requests.enumerated() where k < segments.count {
                        let expected = total - had
                        #expect(request.maxImages == expected, "\(t): attempt \(k + 1) asked for \(request.maxImages) with \(had) of \(total) received")
                        had += segments[k].count
                    }
                }

                // The storm was waited out as told: Retry-After 1 s and 0 s exactly, the HTTP date
                // within its second, and without one the policy's own back-off (0.25–0.5 s at first).
                let throttled = events.filter { $0["event"] as? String == "retrying" && ($0["reason"] as? String)?.contains("HTTP 429") == true }
                let delays = throttled.compactMap { $0["delay_seconds"] as? Double }.sorted()
                #expect(delays.count == 4, "\(throttled)")
                if delays.count == 4 {
                    #expect(delays.contains(0) && delays.contains(1), "\(delays)")
                    #expect(delays.contains { (0.25...0.5).contains($0) }, "\(delays)")
                    #expect(delays.contains { (0.9...2.0).contains($0) && $0 != 1 } || delays.filter { $0 == 1 }.count == 2, "\(delays)")
                }
                // The seeds draw random faults early: some requests besides the storm failed too.
                let others = events.filter { $0["event"] as? String == "retrying" }.count - throttled.count
                #expect(others >= 2, "the random faults never struck")
                let finished = try builds.map { try $0.finished() }
                let starts = events.filter { $0["event"] as? String == "target_started" }.count
                #expect(finished.map { $0["requests"] as? Int ?? 0 }.reduce(0, +) == sent.count)
                #expect(finished.map { $0["retries"] as? Int ?? 0 }.reduce(0, +) == sent.count - starts)
                #expect(try project.cacheProblems().isEmpty)
                let (problems, _) = try project.buildDirectoryProblems()
                #expect(problems.isEmpty, "\(problems)")

                // Nothing more to ask for.
                let again = try await project.build()
                #expect(again.status == 0 && again.requests == 0, "\(again)")
            }
        }

        @Test func with_one_attempt_a_429_fails_the_build_at_once_and_clearly() async throws {
            try await withFakeArk { fake in
                fake.enqueue(.rateLimited(.seconds(1)))
                let project = try ArkProject(fake: fake, manifest: """
                    version: 1
                    provider: {max_attempts: 1}
                    targets:
                      s1: {prompt: "A red fox on a rock", model: doubao-seedream-4-0-250828, size: 1024x1024}

                    """)
                let r = try await project.build()
                #expect(r.status == 1, "\(r)")
                #expect(fake.generationRequests.count == 1)
                #expect(try r.events(named: "retrying").isEmpty)
                #expect(r.output.contains("s1: HTTP 429 ModelAccountIpmRateLimitExceeded"), "\(r)")
                #expect(r.output.contains("rate limit"), "\(r)")
                #expect(r.stderr.contains("build failed: 1 target(s) failed"), "\(r)")
            }
        }

        @Test func retries_are_bounded_by_max_attempts_and_each_one_is_announced() async throws {
            try await withFakeArk { fake in
                fake.enqueue(.serverError, .reset, .serverError, .serverError)
                let project = try ArkProject(fake: fake, manifest: """
                    version: 1
                    provider: {max_attempts: 3}
                    targets:
                      s1: {prompt: "A red fox on a rock", model: doubao-seedream-4-0-250828, size: 1024x1024}

                    """)
                let r = try await project.build()
                #expect(r.status == 1, "\(r)")
                #expect(fake.generationRequests.count == 3)
                let retries = try r.events(named: "retrying")
                #expect(retries.compactMap { $0["attempt"] as? Int } == [2, 3], "\(retries)")
                #expect(retries.allSatisfy { $0["max_attempts"] as? Int == 3 })
                // The policy's back-off: 0.25–0.5 s, then 0.5–1 s.
                let delays = retries.compactMap { $0["delay_seconds"] as? Double }
                #expect(delays.count == 2 && (0.25...0.5).contains(delays[0]) && (0.5...1.0).contains(delays[1]), "\(delays)")
                #expect(r.output.contains("s1: HTTP 500 InternalServiceError"), "\(r)")
                #expect(r.stderr.contains("build failed"), "\(r)")
                // The fourth fault is still queued: the next build's first attempt gets it, then succeeds.
                let again = try await project.build()
                #expect(again.status == 0, "\(again)")
                #expect(fake.generationRequests.count == 5)
            }
        }
    

        static let oneGroup = """
            version: 1
            provider: {max_attempts: 4}
            defaults: {model: doubao-seedream-4-0-250828, watermark: false, size: 1024x1024}
            targets:
              g1: {prompt: "Four images of a tin robot", images: 4}
              s1: {prompt: "A red fox on a rock", stream: true}

            """

        @Test func a_group_cut_off_mid_stream_keeps_what_arrived_and_the_next_build_asks_only_for_the_rest() async throws {
            try await withFakeArk({ $0.imageLatency = .milliseconds(10) }) { fake in
                let project = try ArkProject(fake: fake, manifest: Self.oneGroup)
                fake.enqueue(.truncatedStream(afterImages: 2))
                let r = try await project.build(["g1"])
                // Not retried in the same build: images of that request had arrived.
                #expect(r.status == 1, "\(r)")
                #expect(fake.sent().map(\.maxImages) == [4])
                #expect(try r.events(named: "retrying").isEmpty, "\(r)")
                #expect(r.output.contains("2 of 4 images are kept; the next build asks only for the 2 missing"), "\(r)")
                #expect(try project.recordedImages()["g1"]?.map(\.index) == [0, 1])
                // What arrived is materialized, and nothing half-written is left.
                #expect(try project.dir.files(under: "build/g1") == ["1.jpeg", "2.jpeg"])

                let resumed = try await project.build(["g1"])
                #expect(resumed.status == 0, "\(resumed)")
                #expect(fake.sent().map(\.maxImages) == [4, 2], "the next build asks only for the two missing images")
                #expect(try project.recordedImages()["g1"]?.map(\.index) == [0, 1, 2, 3])
                #expect(resumed.receivedImages().map(\.index).sorted() == [2, 3])
                #expect(try project.dir.files(under: "build/g1") == ["1.jpeg", "2.jpeg", "3.jpeg", "4.jpeg"])
                let again = try await project.build(["g1"])
                #expect(again.status == 0 && again.requests == 0, "\(again)")
            }
        }

        @Test func a_stream_cut_after_its_last_image_keeps_it_and_asks_nothing_more() async throws {
            try await withFakeArk({ $0.imageLatency = .milliseconds(10) }) { fake in
                let project = try ArkProject(fake: fake, manifest: Self.oneGroup)
                // A single streamed image whose connection drops before `[DONE]`, and a group whose
                // stream ends cleanly but without `[DONE]` after its fourth image.
                fake.enqueue(.truncatedStream(afterImages: 1))
                let single = try await project.build(["s1"])
                fake.enqueue(.streamEndsEarly(afterImages: 4))
                let group = try await project.build(["g1"])
                for r in [single, group] {
                    #expect(r.status == 0, "\(r)")
                    #expect(try r.events(named: "retrying").isEmpty, "\(r)")
                }
                #expect(fake.generationRequests.count == 2, "both answers held every image: nothing to ask again")
                let recorded = try project.recordedImages()
                #expect(recorded["g1"]?.count == 4 && recorded["s1"]?.count == 1, "\(recorded)")
                let again = try await project.build()
                #expect(again.status == 0 && again.requests == 0, "\(again)")
            }
        }
    }
}
