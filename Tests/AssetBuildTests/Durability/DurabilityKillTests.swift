@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

extension Durability {
    /// `kill -9` at random moments of real builds: nothing received is lost, nothing recorded is
    /// asked for again, and `build/` and the cache are whole after every kill.
    @Suite struct KillTests {
        static let latency = Duration.milliseconds(100)
        /// An image the fake sent this long before a kill must be in the cache by then (the client
        /// decodes, fsyncs and commits it in a few milliseconds; the rest is slack for a busy machine).
        static let durableWithin = Duration.milliseconds(250)

        /// Six targets, fifteen images: singles (whole answers), streamed groups, a whole-answer
        /// group, and two targets that wait for an upstream. Each target has its own size, so no
        /// two targets' images share bytes. `version` is in every prompt: a new version makes every
        /// target stale again while the cache keeps the old ones.
        static func manifest(version: Int) -> String {
            """
            version: 1
            provider: {concurrency: 8}
            defaults: {model: doubao-seedream-4-0-250828, watermark: false}
            targets:
              s1: {prompt: "A red fox on a rock (v\(version))", size: 1024x1024}
              s2: {prompt: "A blue bird on a wire (v\(version))", size: 1152x896}
              g1: {prompt: "Four images of a tin robot (v\(version))", images: 4, size: 1280x800}
              g2: {prompt: "Four images of the fox from image 1 (v\(version))", images: 4, references: [s1], size: 896x1152}
              g3: {prompt: "Three images of a grey cat (v\(version))", images: 3, stream: false, size: 1248x832}
              hero: {prompt: "The robot from image 1 on a hill (v\(version))", references: ["g1[2]"], size: 1344x768}

            """
        }

        static let counts = ["s1": 1, "s2": 1, "g1": 4, "g2": 4, "g3": 3, "hero": 1]

        /// The target a request was for, from its prompt.
        static func target(of prompt: String) -> String? {
            let map = ["red fox": "s1", "blue bird": "s2", "tin robot": "g1", "fox from image 1": "g2",
                       "grey cat": "g3", "robot from image 1": "hero"]
            return map.first { prompt.contains($0.key) }?.value
        }

        @Test func kill_9_at_twenty_random_moments_loses_nothing_and_pays_for_nothing_twice() async throws {
            try await withFakeArk({ $0.imageLatency = Self.latency }) { fake in
                var version = 1
                let project = try ArkProject(fake: fake, manifest: Self.manifest(version: version))
                var random = SeededGenerator(seed: 0xA55E_7B01_1D00_0005)
                var kills = 0, completions = 0, hiddenTemporaries = 0
                var killMoments: [Int] = []
                var wholeBuildMs = 0
                // What the schedule exercised: group resumes, and kills that left a target half done.
                var resumes = 0, halfDone = 0

                while kills < 20 {
                    let tag = "(v\(version))"
                    let before = try project.recordedImages(tag: tag).mapValues(\.count)
                    let logStart = fake.generationRequests.count
                    let started = ContinuousClock.now
                    let process = try project.startBuild()
                    // Kill anywhere from start-up to the last image. How long a whole build takes
                    // depends on the machine and its load (~0.6 s when quiet: 0.1 s per image,
                    // upstreams first), so the range follows the whole builds measured in this run;
                    // every eighth round, the first included, runs to the end, so new versions are
                    // reached however slow the machine is.
                    let delay = Int.random(in: 0...max(700, wholeBuildMs * 11 / 10), using: &random)
                    let ending: CLIEnding
                    if (kills + completions) % 8 == 0 {
                        ending = .exited(try await process.finish(timeout: .seconds(120)))
                        wholeBuildMs = max(wholeBuildMs, Int((ContinuousClock.now - started) / .milliseconds(1)))
                    } else {
                        try await Task.sleep(until: started + .milliseconds(delay), clock: .continuous)
                        ending = try await process.killNow()
                    }
                    let sent = fake.sent(from: logStart)
                    let after = try project.recordedImages(tag: tag)
                    let round = "round \(kills + completions + 1) (v\(version), \(delay) ms)"

                    // Resume asks only for what is missing: one request per target, never for a
                    // single already recorded, and for a group exactly the images it lacks.
                    var perTarget: [String: [SentRequest]] = [:]
                    for r in sent {
                        guard let t = Self.target(of: r.prompt), r.prompt.contains(tag) else {
                            Issue.record("\(round): a request for an unknown or old prompt: \(r.prompt)")
                            continue
                        }
                        perTarget[t, default: []].append(r)
                    }
                    for (t, requests) in perTarget {
                        let had = before[t] ?? 0, total = Self.counts[t]!
                        #expect(requests.count == 1, "\(round): \(t) was asked \(requests.count) times")
                        #expect(had < total, "\(round): \(t) was asked again though all \(total) image(s) were recorded")
                        if had > 0 { resumes += 1 }
                        for r in requests {
                            #expect(r.maxImages == total - had,
                                    "\(round): \(t) asked for \(r.maxImages) image(s) with \(had) of \(total) recorded")
                        }
                    }

                    // Nothing delivered is lost; nothing appears that was not sent.
                    for (t, total) in Self.counts {
                        let gained = (after[t]?.count ?? 0) - (before[t] ?? 0)
                        let requests = perTarget[t] ?? []
                        let asked = requests.reduce(0) { $0 + $1.maxImages }
                        #expect(gained >= 0, "\(round): \(t) lost recorded images")
                        switch ending {
                        case .exited:
                            #expect(gained == asked, "\(round): \(t) received \(asked) image(s) and recorded \(gained)")
                            #expect(after[t]?.count == total, "\(round): \(t) has \(after[t]?.count ?? 0) of \(total) images")
                        case .killed(let at, _):
                            let surely = requests.reduce(0) { n, r in
                                n + (0..<r.maxImages).filter { r.earliestSend($0, latency: Self.latency) < at - Self.durableWithin }.count
                            }
                            let possibly = requests.reduce(0) { n, r in
                                n + (0..<r.maxImages).filter { r.earliestSend($0, latency: Self.latency) < at + .milliseconds(20) }.count
                            }
                            #expect(gained >= surely, "\(round): \(t): \(surely) image(s) were sent well before the kill, \(gained) recorded")
                            #expect(gained <= possibly, "\(round): \(t): \(gained) image(s) recorded, at most \(possibly) were sent")
                        }
                    }

                    // Every image the build reported was durable before it said so.
                    let reported: [(target: String, index: Int)]
                    switch ending {
                    case .killed(_, let stdout): reported = CLIResult.receivedImages(inJSONLines: stdout)
                    case .exited(let r): reported = r.receivedImages()
                    }
                    for (t, i) in reported {
                        #expect(after[t]?.contains { $0.index == i } == true, "\(round): reported \(t)[\(i + 1)] is not in the cache")
                    }

                    // build/ holds only whole outputs, and the cache verifies.
                    let (problems, hidden) = try project.buildDirectoryProblems()
                    #expect(problems.isEmpty, "\(round): \(problems)")
                    hiddenTemporaries = hidden
                    let cacheProblems = try project.cacheProblems()
                    #expect(cacheProblems.isEmpty, "\(round): \(cacheProblems)")

                    switch ending {
                    case .killed:
                        kills += 1
                        halfDone += Self.counts.filter { t, total in (1..<total).contains(after[t]?.count ?? 0) }.count
                        killMoments.append(delay)
                    case .exited(let r):
                        #expect(r.status == 0, "\(round): \(r)")
                        completions += 1
                        // The next version: every target is stale again, the cache keeps the old images.
                        version += 1
                        try project.write(manifest: Self.manifest(version: version))
                    }
                }

                // Finish the last version, then: nothing is stale and one more build sends nothing.
                let last = try await project.build()
                #expect(last.status == 0, "\(last)")
                let final = try project.recordedImages(tag: "(v\(version))")
                for (t, total) in Self.counts { #expect(final[t]?.count == total, "\(t): \(final[t]?.count ?? 0) of \(total)") }
                let status = try await project.run(["status", "--check"])
                #expect(status.status == 0, "\(status)")
                let again = try await project.build()
                #expect(again.status == 0 && again.requests == 0, "\(again)")
                let record = try JSONDecoder().decode(BuildRecord.self, from: try project.dir.read("build/assetbuild.json"))
                var outputs = 0
                for (name, entry) in record.targets {
                    outputs += entry.outputs.count
                    #expect(entry.outputs.map(\.sha256) == (final[name] ?? []).map(\.object.hex),
                            "\(name): the record's outputs are not the recorded images")
                    for o in entry.outputs { #expect(try project.dir.sha256("build/" + o.path) == o.sha256, "\(o.path)") }
                }
                #expect(outputs == Self.counts.values.reduce(0, +))
                #expect(try project.cacheProblems().isEmpty)
                #expect(completions >= 2, "kills at \(killMoments) ms never let a build finish")
                #expect(resumes >= 3 && halfDone >= 3, "the kills (at \(killMoments) ms) hardly ever cut a group: \(resumes) resumes")
                // Visible for the report: how many hidden temporaries kills left in build/.
                if hiddenTemporaries > 0 { print("kill test: \(hiddenTemporaries) hidden temporary file(s) left in build/") }
            }
        }
    }
}
