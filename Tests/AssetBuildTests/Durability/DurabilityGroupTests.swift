@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

extension Durability {
    /// A group that comes back short of `min_images` fails, says why image by image, and keeps
    /// (and writes) what it received; lowering `min_images` accepts it without a request.
    @Suite struct GroupTests {
        static func manifest(minImages: Int, stream: Bool) -> String {
            """
            version: 1
            defaults: {model: doubao-seedream-4-0-250828, watermark: false, size: 1024x1024}
            targets:
              poses: {prompt: "Four images of a tin robot", images: 4, min_images: \(minImages), stream: \(stream)}
              hero: {prompt: "The robot from image 1 on a hill", references: ["poses[1]"]}

            """
        }

        @Test(arguments: [true, false])
        func a_group_short_of_min_images_fails_listing_each_failure_and_keeps_what_arrived(stream: Bool) async throws {
            // Image 2 is refused by moderation (the group goes on); an internal error stops it at image 4.
            try await withFakeArk({
                $0.moderatedImages = [1]
                $0.internalErrorAtImage = 3
            }) { fake in
                let project = try ArkProject(fake: fake, manifest: Self.manifest(minImages: 3, stream: stream))
                let r = try await project.build()
                #expect(r.status == 1, "\(r)")
                let failed = try r.events(named: "target_failed").first { $0["target"] as? String == "poses" }
                let message = failed?["message"] as? String ?? ""
                #expect(message.contains("2 of 4 images arrived; min_images is 3"), "\(message)")
                #expect(message.contains("image 2: OutputImageSensitiveContentDetected"), "\(message)")
                #expect(message.contains("image 4: InternalServiceError"), "\(message)")
                #expect(r.stderr.contains("build failed"), "\(r)")
                // The downstream target is not built on a failed upstream.
                #expect(try r.events(named: "target_skipped").contains { $0["target"] as? String == "hero" })
                #expect(fake.generationRequests.count == 1)

                // What arrived is kept in the cache and written where it belongs.
                let recorded = try project.recordedImages()["poses"] ?? []
                #expect(recorded.map(\.index) == [0, 2])
                let objects = try project.withCache { cache in try recorded.map { try cache.objects.read($0.object) } }
                #expect(try [project.dir.read("build/poses/1.jpeg"), project.dir.read("build/poses/3.jpeg")] == objects)
                #expect(project.dir.files(under: "build/poses") == ["1.jpeg", "3.jpeg"])
                #expect(try project.cacheProblems().isEmpty)

                // Two images are enough: accepted as they are, no request; the downstream runs.
                try project.write(manifest: Self.manifest(minImages: 2, stream: stream))
                let accepted = try await project.build()
                #expect(accepted.status == 0, "\(accepted)")
                #expect(try accepted.startedTargets() == ["hero"], "only hero sends a request")
                #expect(fake.sent().filter { $0.prompt.contains("tin robot") }.count == 1, "poses was never asked again")
                let record = try JSONDecoder().decode(BuildRecord.self, from: try project.dir.read("build/assetbuild.json"))
                #expect(record.targets["poses"]?.outputs.map(\.path) == ["poses/1.jpeg", "poses/3.jpeg"])
                #expect(record.targets["poses"]?.failures.map(\.code) == ["OutputImageSensitiveContentDetected", "InternalServiceError"])
                let status = try await project.run(["status", "--check"])
                #expect(status.status == 0, "\(status)")
                let again = try await project.build()
                #expect(again.status == 0 && again.requests == 0, "\(again)")
            }
        }
    }
}
