import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

/// A kind of action is a type and a line where kinds are listed: this one, known only to this
/// test, draws "local derived images" (a solid tile whose colour comes from the prompt) without
/// any provider. Registered ahead of the standard kinds, it is planned, run, cached and referenced
/// by the engine, which was not edited for it.
@Suite struct NewActionKindTests {
    /// Counts the tiles drawn, so a test sees when the kind ran.
    final class TileLog: Sendable {
        private let drawn = Mutex<[String]>([])
        func add(_ target: String) { drawn.withLock { $0.append(target) } }
        var all: [String] { drawn.withLock { $0 } }
    }

    struct TileAction: BuildAction {
        let target: Target
        let spec: ImageSpec
        let log: TileLog

        var makesImages: Bool { true }
        var sendsRequest: Bool { false }
        var model: String? { "local-tile" }
        var pendingFigures: PlanFigures { PlanFigures(images: 1, model: "local-tile", detail: "drawn locally") }

        struct Inputs: Sendable { var prompt: String }

        func resolve(_ inputs: KeyInputs) throws -> ResolvedAction? {
            guard let prompt = try inputs.render(spec.prompt, for: target) else { return nil }
            let c = ActionKeyComponents(kind: "tile", provider: "local", model: "tile-1", prompt: prompt, size: "16x16")
            return ResolvedAction(fingerprint: Fingerprint(components: c, referenceLabels: []), detail: "drawn locally",
                                  inputs: Inputs(prompt: prompt))
        }

        func run(_ plan: TargetPlan, resolved: ResolvedAction, in env: ActionEnvironment) async throws -> ActionResult {
            let inputs = try resolved.inputs(as: Inputs.self, target: target.name)
            let key = resolved.fingerprint.key
            log.add(target.name)
            try env.cache.beginAction(key: key, target: target.name, componentsJSON: resolved.fingerprint.recordJSON, kind: recordKind)
            let digest = Array(SHA256.hash(inputs.prompt).bytes)
            let data = try JPEGCodec.encode(RGBImage(width: 16, height: 16, color: RGBColor(digest[0], digest[1], digest[2])))
            let image = ActionImage(index: 0, object: try env.cache.objects.put(data), width: 16, height: 16, byteCount: data.count)
            try env.cache.recordImage(actionKey: key, image: image)
            try env.cache.finishAction(key: key, status: .complete)
            return ActionResult(output: TargetOutput(actionKey: key, images: [image]), shortfall: nil)
        }
    }

    static let manifest = """
        version: 1
        provider: {name: draft}
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
        targets:
          tile-red:
            prompt: "a red tile"
          poster:
            prompt: "A poster in the colour of image 1"
            references: [tile-red]

        """

    struct Project {
        let fixture: EngineFixture
        let log = TileLog()

        init() throws { fixture = try EngineFixture(NewActionKindTests.manifest) }

        func engine() throws -> BuildEngine {
            let log = log
            // The one line that adds the kind: ahead of the standard ones, for the targets it takes.
            let kinds = ActionRegistry(kinds: [{ t in
                guard t.name.hasPrefix("tile"), case .image(let spec) = t.kind else { return nil }
                return TileAction(target: t, spec: spec, log: log)
            }] + ActionRegistry.standard.kinds)
            let manifest = try ManifestLoader.load(path: fixture.dir.url("assetbuild.yaml"))
            return BuildEngine(workspace: try Workspace(manifest: manifest), images: fixture.provider, text: fixture.provider,
                               reporter: fixture.reporter, kinds: kinds)
        }

        func plan() async throws -> [String: TargetPlan] {
            Dictionary(uniqueKeysWithValues: try await engine().plan().targets.map { ($0.target, $0) })
        }

        @discardableResult
        func build() async throws -> BuildSummary {
            fixture.provider.reset()
            return try await engine().build(BuildOptions())
        }
    }

    @Test func the_new_kind_is_planned_as_it_says() async throws {
        let p = try Project()
        let plan = try await p.plan()
        let tile = try #require(plan["tile-red"])
        #expect(tile.status == .run && tile.reasons == [.neverBuilt])
        #expect(tile.requests == 0, "local work sends nothing")
        #expect(tile.model == "local-tile" && tile.detail == "drawn locally" && tile.imagesToGenerate == 1)
        #expect(tile.estimatedCost == 0)
        // Its downstream waits for it, as for any upstream.
        #expect(plan["poster"]?.reasons == [.neverBuilt, .upstreamPending("tile-red")])
        #expect(p.log.all.isEmpty && p.fixture.provider.actionsRan.isEmpty, "planning runs nothing")
    }

    @Test func the_new_kind_runs_is_cached_and_feeds_its_downstream() async throws {
        let p = try Project()
        let first = try await p.build()
        #expect(first.built == 2 && first.failed == 0)
        #expect(p.log.all == ["tile-red"], "the tile is drawn by its kind")
        #expect(p.fixture.provider.actionsRan == ["poster"], "only the poster goes to the provider")
        let tileBytes = try p.fixture.dir.read("build/tile-red.jpeg")
        #expect(try ImageProbe.probe(tileBytes).width == 16)
        // The poster was sent the tile's bytes as its reference.
        #expect(p.fixture.provider.requests.first?.references == [.bytes(tileBytes, format: "jpeg")])

        // Nothing changed: both are up to date, nothing runs.
        let again = try await p.build()
        #expect(again.upToDate == 2 && again.built == 0)
        #expect(p.log.all == ["tile-red"] && p.fixture.provider.actionsRan.isEmpty)
        #expect(try await p.plan().values.allSatisfy { $0.status == .upToDate })
        // The record and the lock describe it like any other action.
        let record = try JSONDecoder().decode(BuildRecord.self, from: try p.fixture.dir.read("build/assetbuild.json"))
        let entry = try #require(record.targets["tile-red"])
        #expect(entry.kind == "tile" && entry.provider == "local" && entry.prompt == "a red tile")
        #expect(entry.outputs.map(\.sha256) == [SHA256.hash(tileBytes).hex])
        #expect(try p.fixture.dir.text("assetbuild.lock").contains("  tile-red:\n    key: \(entry.actionKey)\n"))

        // Its own input changed: it runs again, says why, and the poster follows its new bytes.
        try p.fixture.edit("a red tile", "a blue tile")
        #expect(try await p.plan()["tile-red"]?.reasons == [.promptChanged])
        let changed = try await p.build()
        #expect(changed.built == 2)
        #expect(p.log.all == ["tile-red", "tile-red"] && p.fixture.provider.actionsRan == ["poster"])

        // Back to the first prompt: restored from the cache, not drawn again.
        try p.fixture.edit("a blue tile", "a red tile")
        let back = try await p.build()
        #expect(back.restored == 2 && back.built == 0)
        #expect(p.log.all.count == 2 && p.fixture.provider.actionsRan.isEmpty)
    }
}
