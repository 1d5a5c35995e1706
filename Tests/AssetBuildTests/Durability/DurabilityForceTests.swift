@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

extension Durability {
    /// `-B` pays for a whole new result on purpose: it must ask for every image of the target
    /// (not one more, as a resume would) and leave exactly the declared outputs.
    @Suite struct ForceTests {
        @Test func a_forced_rebuild_asks_for_every_image_and_replaces_the_outputs() async throws {
            try await withFakeArk { fake in
                let project = try ArkProject(fake: fake, manifest: """
                    version: 1
                    defaults: {model: doubao-seedream-4-0-250828, watermark: false, size: 1024x1024}
                    targets:
                      poses: {prompt: "Three images of a tin robot", images: 3}
                      hero: {prompt: "A red fox on a rock"}

                    """)
                let first = try await project.build()
                #expect(first.status == 0, "\(first)")
                fake.clearRequests()

                let forced = try await project.build(["-B"])
                #expect(forced.status == 0, "\(forced)")
                let sent = fake.sent().sorted { $0.maxImages > $1.maxImages }
                #expect(sent.map(\.maxImages) == [3, 1], "a forced rebuild asks for the whole of each target")
                #expect(project.dir.files(under: "build") == ["assetbuild.json", "hero.jpeg", "poses/1.jpeg", "poses/2.jpeg", "poses/3.jpeg"])
                let recorded = try project.recordedImages()
                #expect(recorded["poses"]?.map(\.index) == [0, 1, 2] && recorded["hero"]?.map(\.index) == [0], "\(recorded)")
                let record = try JSONDecoder().decode(BuildRecord.self, from: try project.dir.read("build/assetbuild.json"))
                #expect(record.targets["hero"]?.outputs.map(\.path) == ["hero.jpeg"])
                #expect(record.targets["poses"]?.outputs.count == 3)
                let again = try await project.build()
                #expect(again.status == 0 && again.requests == 0, "\(again)")
            }
        }
    }
}
