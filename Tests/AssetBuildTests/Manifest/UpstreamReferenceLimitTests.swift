import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

/// Another target's output sent as a reference meets the receiving model's limits: checked at
/// validation when the upstream's size is `WxH`, and on the real image (a preset's pixels are the
/// model's choice) before any request of the receiving target.
@Suite struct UpstreamReferenceLimitTests {
    /// Answers every request with one image of a fixed shape, as a preset may come out.
    final class ShapedProvider: ImageProvider {
        let name = "draft"
        let isFree = true
        let width: Int, height: Int
        private let sent = Mutex<[String]>([])
        var targets: [String] { sent.withLock { $0 } }

        init(width: Int, height: Int) { (self.width, self.height) = (width, height) }

        func generate(_ request: ImageRequest, into sink: any ImageSink) async throws -> GenerationSummary {
            sent.withLock { $0.append(request.target) }
            let data = try JPEGCodec.encode(RGBImage(width: width, height: height, color: RGBColor(20, 90, 200)))
            try await sink.imageReceived(ReceivedImage(index: 0, data: data, reportedWidth: width, reportedHeight: height))
            return GenerationSummary(usage: Usage(generatedImages: 1, outputTokens: 1, totalTokens: 1),
                                     requestID: "shaped", model: request.model)
        }
    }

    static let manifest = """
        version: 1
        provider: {name: draft}
        targets:
          banner:
            prompt: "A very wide banner, 16:1"
            size: 2K
          banner-edit:
            model: doubao-seededit-3-0-i2i-250628
            prompt: "Make the sky purple"
            references: [banner]
          poster:
            prompt: "The banner from image 1 on a wall"
            references: [banner]
        """

    @Test func a_preset_output_too_wide_for_the_receiving_model_fails_that_target_before_its_request() async throws {
        let dir = try TestDirectory("upstream")
        try dir.write(Self.manifest, to: "assetbuild.yaml")
        let provider = ShapedProvider(width: 480, height: 30)
        let manifest = try ManifestLoader.load(path: dir.url("assetbuild.yaml"))
        let engine = BuildEngine(workspace: try Workspace(manifest: manifest), images: provider,
                                 text: RecordingProvider(), reporter: RecordingReporter())
        var options = BuildOptions()
        options.keepGoing = true
        let failure = await #expect(throws: BuildFailed.self) { try await engine.build(options) }
        #expect(failure?.summary.failed == 1)
        let message = failure?.failures.joined(separator: "\n") ?? ""
        #expect(message.contains("banner-edit: reference 'banner' is 480x30 (as 'banner' came out): aspect ratio 16:1; doubao-seededit-3-0-i2i-250628 takes references from 1:3 to 3:1"),
                "\(message)")
        #expect(message.contains("nothing was sent"))
        // seedream 4.5 takes 16:1: the poster is built; the edit never reached the provider.
        #expect(Set(provider.targets) == ["banner", "poster"])
    }

    @Test func the_same_shape_is_fine_for_a_model_that_takes_it() async throws {
        let dir = try TestDirectory("upstream")
        try dir.write(Self.manifest, to: "assetbuild.yaml")
        let provider = ShapedProvider(width: 96, height: 64)
        let manifest = try ManifestLoader.load(path: dir.url("assetbuild.yaml"))
        let engine = BuildEngine(workspace: try Workspace(manifest: manifest), images: provider,
                                 text: RecordingProvider(), reporter: RecordingReporter())
        _ = try await engine.build(BuildOptions())
        #expect(Set(provider.targets) == ["banner", "banner-edit", "poster"])
    }
}
