@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

extension Durability {
    /// Two builds at once on one cache: the second waits for the lock, says who holds it, then
    /// finds everything up to date. Between them they pay for one build.
    @Suite struct ConcurrentBuildTests {
        /// On a cache that does not exist yet (both processes create it), and on one that holds
        /// an older version of every target.
        @Test(arguments: [true, false])
        func two_builds_at_once_pay_for_one_and_leave_the_cache_whole(freshCache: Bool) async throws {
            try await withFakeArk({ $0.imageLatency = .milliseconds(40) }) { fake in
                let project = try ArkProject(fake: fake, manifest: KillTests.manifest(version: 1))
                if !freshCache {
                    let older = try await project.build()
                    #expect(older.status == 0, "\(older)")
                    try project.write(manifest: KillTests.manifest(version: 2))
                    fake.clearRequests()
                }
                let first = try project.startBuild()
                let second = try project.startBuild()
                let results = [try await first.finish(timeout: .seconds(60)), try await second.finish(timeout: .seconds(60))]
                for r in results { #expect(r.status == 0, "\(r)") }

                // One of them held the lock and built; the other waited, naming the holder, and
                // then had nothing to do.
                let waited = try results.filter { try !$0.events(named: "waiting_for_lock").isEmpty }
                #expect(waited.count == 1, "\(results)")
                let pids = [first.process.processIdentifier, second.process.processIdentifier]
                if let w = waited.first, let message = try w.events(named: "waiting_for_lock").first?["message"] as? String {
                    #expect(pids.contains { message.contains("held by pid \($0) (assetbuild build") }, "\(message)")
                    #expect(try w.summary("requests") == 0 && w.summary("up_to_date") == 6, "\(w)")
                }
                #expect(results.map { $0.requests ?? -1 }.sorted() == [0, 6], "\(results)")
                #expect(fake.generationRequests.count == 6, "one request per target in all")

                let recorded = try project.recordedImages(tag: freshCache ? "" : "(v2)")
                for (t, n) in KillTests.counts { #expect(recorded[t]?.count == n, "\(t)") }
                #expect(try project.cacheProblems().isEmpty)
                let (problems, hidden) = try project.buildDirectoryProblems()
                #expect(problems.isEmpty && hidden == 0, "\(problems)")
                let verify = try await project.run(["cache", "verify"])
                #expect(verify.status == 0, "\(verify)")
                let again = try await project.build()
                #expect(again.status == 0 && again.requests == 0, "\(again)")
            }
        }
    }
}
