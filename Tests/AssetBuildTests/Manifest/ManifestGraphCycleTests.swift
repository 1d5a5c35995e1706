import Testing
@testable import AssetBuildCore

/// Cycle detection reports one cycle per strongly connected component, not just the first.
@Suite struct ManifestGraphCycleTests {
    @Test func components_of_a_small_graph() {
        // 0 -> 1 -> 2 -> 0, 3 -> 4 -> 3, 5 -> 0 (not on a cycle), 6 alone
        let deps = [[1], [2], [0], [4], [3], [0], []]
        let components = BuildGraph.stronglyConnectedComponents(deps).map { $0.sorted() }.sorted { $0[0] < $1[0] }
        #expect(components == [[0, 1, 2], [3, 4], [5], [6]])
    }

    /// Iterative, so a chain of many thousand targets does not overflow the stack.
    @Test func a_long_chain_is_one_component() {
        let n = 50_000
        let deps = (0..<n).map { [($0 + 1) % n] }
        let components = BuildGraph.stronglyConnectedComponents(deps)
        #expect(components.count == 1 && components[0].count == n)
        let acyclic = (0..<n).map { $0 + 1 < n ? [$0 + 1] : [] }
        #expect(BuildGraph.stronglyConnectedComponents(acyclic).count == n)
    }

    @Test func every_cycle_is_reported_and_each_only_once() throws {
        let text = """
        version: 1
        targets:
          a: {prompt: "A", deps: [b]}
          b: {prompt: "B", deps: [a, c]}
          c: {prompt: "C", deps: [b, c]}
          p: {prompt: "P", deps: [q]}
          q: {prompt: "Q", deps: [p]}
        """
        let manifest = try ManifestLoader.parse(text: text, file: "assetbuild.yaml", path: "/m/assetbuild.yaml", directory: "/m")
        let error = #expect(throws: DiagnosticsError.self) { try BuildGraph(manifest: manifest) }
        let messages = error?.diagnostics.map(\.message) ?? []
        #expect(messages == ["dependency cycle: a -> b -> a", "dependency cycle: c -> c", "dependency cycle: p -> q -> p"])
        #expect(error?.diagnostics[1].notes == ["a target cannot wait for itself; remove 'c' from its deps"])
    }
}
