import Foundation
import Testing
@testable import AssetBuildCore

/// `BuildRecord.make` takes the plan's components instead of decoding each state's JSON: the
/// record must be the same either way.
@Suite struct BuildRecordKnownComponentsTests {
    @Test func theRecordIsTheSameWithTheComponentsKnown() async throws {
        let f = try EngineFixture()
        try await f.build()
        let engine = try f.engine()
        let cache = try BuildCache.open(directory: engine.workspace.cacheDirectory)
        let (_, planner) = try engine.prepare(cache: cache)
        let plan = try planner.plan(engine.workspace.graph.topologicalOrder, graph: engine.workspace.graph)
        var known: [String: any KeyComponents] = [:]
        for p in plan { if let fp = p.fingerprint { known[fp.key] = fp.components } }
        #expect(known.count == engine.manifest.targets.count)

        let states = try cache.targetStates()
        let actions = try cache.actions(forKeys: Set(states.values.map(\.actionKey)))
        let decoded = BuildRecord.make(manifest: engine.manifest, states: states, actions: actions)
        let fromPlan = BuildRecord.make(manifest: engine.manifest, states: states, actions: actions, knownComponents: known)
        #expect(decoded.targets.count == engine.manifest.targets.count)
        #expect(fromPlan.encoded() == decoded.encoded())
    }
}
