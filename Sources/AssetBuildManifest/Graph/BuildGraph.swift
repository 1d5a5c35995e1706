import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
/// The targets and the edges between them: references to other targets and `${target.field}`
/// uses (both carry data), and `deps:` (order only). The graph only stores; deciding what is
/// stale is the planner's job (as Ninja keeps `State` apart from `DependencyScan`).
public struct BuildGraph: Sendable {
    public let manifest: Manifest
    /// For each target (by declaration index), the indices of the targets it needs first.
    public let dependencies: [[Int]]
    /// For each target, the indices of the targets that need it.
    public let dependents: [[Int]]
    /// Every target, each after everything it depends on; ties keep declaration order.
    public let topologicalOrder: [Int]

    public init(manifest: Manifest) throws(DiagnosticsError) {
        self.manifest = manifest
        let n = manifest.targets.count
        var index: [String: Int] = [:]
        for (i, t) in manifest.targets.enumerated() { index[t.name] = i }
        var deps = [[Int]](repeating: [], count: n)
        var rdeps = [[Int]](repeating: [], count: n)
        for (i, t) in manifest.targets.enumerated() {
            var seen = Set<Int>()
            for d in t.dependencies {
                guard let j = index[d.value], seen.insert(j).inserted else { continue }
                deps[i].append(j)
                rdeps[j].append(i)
            }
        }
        self.dependencies = deps
        self.dependents = rdeps
        let cycles = Self.findCycles(manifest: manifest, dependencies: deps)
        if !cycles.isEmpty { throw manifest.diagnosticsError(ManifestLoader.sorted(cycles)) }
        self.topologicalOrder = Self.sort(dependencies: deps, dependents: rdeps)
    }

    /// The dependency cycles among `manifest`'s targets (for collecting every manifest error in
    /// one pass, before a graph can be built).
    public static func cycles(in manifest: Manifest) -> [Diagnostic] {
        var index: [String: Int] = [:]
        for (i, t) in manifest.targets.enumerated() { index[t.name] = i }
        let deps = manifest.targets.map { t in
            Array(Set(t.dependencies.compactMap { index[$0.value] })).sorted()
        }
        return findCycles(manifest: manifest, dependencies: deps)
    }

    public func index(of name: String) -> Int? {
        manifest.targets.firstIndex { $0.name == name }
    }

    /// The targets named plus everything they depend on, transitively (what `build a b` builds).
    public func closure(of roots: [Int]) -> Set<Int> {
        var out = Set<Int>()
        var stack = roots
        while let i = stack.popLast() {
            guard out.insert(i).inserted else { continue }
            stack += dependencies[i]
        }
        return out
    }

    /// Kahn's algorithm with a queue ordered by declaration, so output is stable.
    package static func sort(dependencies: [[Int]], dependents: [[Int]]) -> [Int] {
        var remaining = dependencies.map(\.count)
        var ready = (0..<dependencies.count).filter { remaining[$0] == 0 }
        var order: [Int] = []
        order.reserveCapacity(dependencies.count)
        var head = 0
        while head < ready.count {
            let i = ready[head]
            head += 1
            order.append(i)
            for j in dependents[i] {
                remaining[j] -= 1
                if remaining[j] == 0 { ready.append(j) }
            }
        }
        return order
    }

    /// One elementary cycle per strongly connected component, and every self-loop, so fixing the
    /// first cycle never uncovers another. Each is reported where it is entered: at the edge
    /// (reference, field or dep) from the component's first declared target to the next target on
    /// the cycle, as `a -> b -> a`.
    package static func findCycles(manifest: Manifest, dependencies: [[Int]]) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for (i, t) in manifest.targets.enumerated() where dependencies[i].contains(i) {
            out += selfLoops(of: t)
        }
        for component in stronglyConnectedComponents(dependencies) where component.count > 1 {
            let members = Set(component)
            let start = component.min()!
            let path = shortestCycle(from: start, within: members, dependencies: dependencies)
            let names = path.map { manifest.targets[$0].name }
            let first = manifest.targets[start]
            let location = first.dependencies.first { $0.value == names[1] }?.location ?? first.location
            out.append(.error("dependency cycle: \(names.joined(separator: " -> "))", at: location))
        }
        return out
    }

    /// `a -> a`: one diagnostic per edge, with advice that fits the kind of edge.
    private static func selfLoops(of t: Target) -> [Diagnostic] {
        var out: [Diagnostic] = []
        var seen = Set<SourceLocation>()
        let ownDeps = Set(t.deps.filter { $0.value == t.name }.map(\.location))
        for d in t.dependencies where d.value == t.name && seen.insert(d.location).inserted {
            let note = ownDeps.contains(d.location)
                ? "a target cannot wait for itself; remove '\(t.name)' from its deps"
                : "a target cannot use its own output; build a separate target for the first version"
            out.append(.error("dependency cycle: \(t.name) -> \(t.name)", at: d.location, notes: [note]))
        }
        return out
    }

    /// The shortest path `start -> … -> start` inside one component (breadth-first, neighbours in
    /// declaration order, so the cycle printed is stable).
    private static func shortestCycle(from start: Int, within members: Set<Int>, dependencies: [[Int]]) -> [Int] {
        var parent: [Int: Int] = [:]
        var queue = [start]
        var head = 0
        while head < queue.count {
            let i = queue[head]
            head += 1
            for j in dependencies[i].sorted() where members.contains(j) && j != i {
                if j == start {
                    var path = [start]
                    var k = i
                    while k != start {
                        path.append(k)
                        k = parent[k]!
                    }
                    return [start] + path.dropFirst().reversed() + [start]
                }
                if parent[j] == nil {
                    parent[j] = i
                    queue.append(j)
                }
            }
        }
        return [start, start]  // unreachable for a component of two or more
    }

    /// Tarjan's algorithm, iterative (a long chain of targets must not overflow the stack).
    /// Components come out in no particular order; callers sort what they report.
    package static func stronglyConnectedComponents(_ dependencies: [[Int]]) -> [[Int]] {
        let n = dependencies.count
        var index = [Int](repeating: -1, count: n), low = [Int](repeating: 0, count: n)
        var onStack = [Bool](repeating: false, count: n)
        var stack: [Int] = [], components: [[Int]] = []
        var next = 0
        for root in 0..<n where index[root] < 0 {
            var work: [(node: Int, edge: Int)] = [(root, 0)]
            index[root] = next; low[root] = next; next += 1
            stack.append(root); onStack[root] = true
            while let (v, e) = work.last {
                if e < dependencies[v].count {
                    work[work.count - 1].edge += 1
                    let w = dependencies[v][e]
                    if index[w] < 0 {
                        index[w] = next; low[w] = next; next += 1
                        stack.append(w); onStack[w] = true
                        work.append((w, 0))
                    } else if onStack[w] {
                        low[v] = min(low[v], index[w])
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last?.node { low[parent] = min(low[parent], low[v]) }
                if low[v] == index[v] {
                    var component: [Int] = []
                    while let w = stack.popLast() {
                        onStack[w] = false
                        component.append(w)
                        if w == v { break }
                    }
                    components.append(component)
                }
            }
        }
        return components
    }
}
