@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

extension Durability {
    /// Issue 14 item 10: the index (`cache.db`) is only an index. Losing it, after `clean` or not,
    /// costs no request: `assetbuild.lock` says which object each output of each action key is,
    /// and the objects are still there.
    @Suite struct IndexLossTests {
        static let manifest = """
            version: 1
            defaults: {model: doubao-seedream-4-0-250828, watermark: false, size: 1024x1024}
            targets:
              fox: {prompt: "A red fox on a rock"}
              poses: {prompt: "Three images of a tin robot", images: 3}
              hero: {prompt: "The robot from image 1 on a hill", references: ["poses[2]"]}

            """

        /// Builds once against the fake; returns the outputs' hashes and the requests it took.
        static func builtProject(_ fake: FakeArkServer) async throws -> (ArkProject, [String: String]) {
            let project = try ArkProject(fake: fake, manifest: manifest)
            let first = try await project.build()
            #expect(first.status == 0, "\(first)")
            #expect(fake.generationRequests.count == 3)
            var hashes: [String: String] = [:]
            for f in project.dir.files(under: "build") where f.hasSuffix(".jpeg") { hashes[f] = try project.dir.sha256("build/" + f) }
            #expect(hashes.count == 5)
            return (project, hashes)
        }

        @Test(arguments: ["clean, then delete cache.db", "clean, then truncate cache.db", "truncate cache.db"])
        func losing_the_index_pays_for_nothing(how: String) async throws {
            try await withFakeArk { fake in
                let (project, hashes) = try await Self.builtProject(fake)
                if how.hasPrefix("clean") {
                    let clean = try await project.run(["clean"])
                    #expect(clean.status == 0, "\(clean)")
                    #expect(project.dir.files(under: "build").isEmpty)
                }
                let db = ".assetbuild/" + BuildCache.databaseName
                if how.hasSuffix("delete cache.db") { try project.dir.remove(db) } else { try project.dir.write(Data(), to: db) }

                // `cache verify` says the index was lost, and what the next build does about it.
                let verify = try await project.run(["cache", "verify"])
                #expect(verify.status == 1, "\(verify)")
                let objects = Set(hashes.values).count  // the fake may send one image twice: one object
                #expect(verify.stdout.contains("the index (cache.db) is empty, but the object store holds \(objects) object(s)"),
                        "\(verify)")
                #expect(verify.stdout.contains("assetbuild.lock lists it for 'poses': the next build re-indexes it, with no request"),
                        "\(verify)")
                #expect(!verify.stdout.contains("cache ok"), "\(verify)")

                // The build: no request, the same bytes in build/.
                let rebuilt = try await project.build()
                #expect(rebuilt.status == 0, "\(rebuilt)")
                #expect(fake.generationRequests.count == 3, "losing cache.db made the build pay again: \(rebuilt)")
                #expect(rebuilt.requests == 0, "\(rebuilt)")
                for (path, sha) in hashes { #expect(try project.dir.sha256("build/" + path) == sha, "\(path)") }
                if how.hasPrefix("clean") {
                    let decided = try rebuilt.events(named: "decided")
                    #expect(decided.count == 3, "\(rebuilt)")
                    for e in decided {
                        #expect(e["status"] as? String == "restore", "\(e)")
                        #expect((e["reasons"] as? [String])?.contains("the cache's objects hold the outputs assetbuild.lock records") == true,
                                "\(e)")
                    }
                }

                // The index is whole again: verify passes, and the next build is a no-op.
                let after = try await project.run(["cache", "verify"])
                #expect(after.status == 0 && after.stdout.contains("cache ok"), "\(after)")
                let again = try await project.build()
                #expect(try again.status == 0 && again.requests == 0 && again.summary("up_to_date") == 3, "\(again)")
                #expect(fake.generationRequests.count == 3)
                #expect(try project.cacheProblems().isEmpty)
            }
        }

        @Test func a_damaged_index_is_reported_and_the_advice_loses_nothing() async throws {
            try await withFakeArk { fake in
                let (project, hashes) = try await Self.builtProject(fake)
                _ = try await project.run(["clean"])
                let db = ".assetbuild/" + BuildCache.databaseName
                try project.dir.write(Data(repeating: 0x42, count: 8192), to: db)

                let refused = try await project.build()
                #expect(refused.status != 0, "\(refused)")
                #expect(refused.stderr.contains("move it aside (mv '"), "\(refused)")
                #expect(!refused.stderr.contains("delete"), "\(refused)")

                // verify still re-hashes the objects, and says the index is damaged.
                let verify = try await project.run(["cache", "verify"])
                #expect(verify.status == 1, "\(verify)")
                #expect(verify.stdout.contains("the index is damaged"), "\(verify)")
                #expect(!verify.stdout.contains("cache ok"), "\(verify)")

                // Following the advice: moved aside, the next build rebuilds the index, paying nothing.
                try FileManager.default.moveItem(atPath: project.dir.url(db), toPath: project.dir.url(db + ".damaged"))
                let rebuilt = try await project.build()
                #expect(rebuilt.status == 0, "\(rebuilt)")
                #expect(fake.generationRequests.count == 3, "\(rebuilt)")
                for (path, sha) in hashes { #expect(try project.dir.sha256("build/" + path) == sha, "\(path)") }
            }
        }
    }

    /// Issue 14 item 15: a target whose request failed is in build/assetbuild.json with its
    /// per-image errors and usage, and the outputs it wrote; assetbuild.lock lists results only.
    @Suite struct FailedTargetRecordTests {
        @Test(arguments: [true, false])
        func a_group_short_of_min_images_is_recorded_as_failed(stream: Bool) async throws {
            try await withFakeArk({
                $0.moderatedImages = [1]
                $0.internalErrorAtImage = 3
            }) { fake in
                let project = try ArkProject(fake: fake, manifest: GroupTests.manifest(minImages: 3, stream: stream))
                let r = try await project.build(["-k"])
                #expect(r.status == 1, "\(r)")
                let record = try JSONDecoder().decode(BuildRecord.self, from: try project.dir.read("build/assetbuild.json"))
                let poses = try #require(record.targets["poses"], "no entry for the failed target: \(record.targets.keys)")
                #expect(poses.status == "failed")
                #expect(poses.error?.contains("2 of 4 images arrived; min_images is 3") == true, "\(poses.error ?? "")")
                #expect(poses.outputs.map(\.path) == ["poses/1.jpeg", "poses/3.jpeg"])
                for o in poses.outputs { #expect(try project.dir.sha256("build/" + o.path) == o.sha256) }
                #expect(poses.failures.map(\.image) == [2, 4])
                #expect(poses.failures.map(\.code) == ["OutputImageSensitiveContentDetected", "InternalServiceError"])
                #expect(poses.usage?.generatedImages == 2, "\(String(describing: poses.usage))")
                #expect(poses.requestIds.count == 1)
                // Skipped (never sent): no entry. The lock lists no failed attempt.
                #expect(record.targets["hero"] == nil)
                #expect(!(try project.dir.text("assetbuild.lock")).contains("poses"))

                // Accepted later: the entry is a result again, in the lock too.
                try project.write(manifest: GroupTests.manifest(minImages: 2, stream: stream))
                let accepted = try await project.build()
                #expect(accepted.status == 0, "\(accepted)")
                let after = try JSONDecoder().decode(BuildRecord.self, from: try project.dir.read("build/assetbuild.json"))
                #expect(after.targets["poses"]?.status == nil && after.targets["poses"]?.error == nil)
                #expect(try project.dir.text("assetbuild.lock").contains("  poses:\n"))
            }
        }
    }
}
