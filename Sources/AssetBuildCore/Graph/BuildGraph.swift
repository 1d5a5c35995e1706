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
        if let cycle = Self.findCycle(manifest: manifest, dependencies: deps, index: index) {
            throw manifest.diagnosticsError([cycle])
        }
        self.topologicalOrder = Self.sort(dependencies: deps, dependents: rdeps)
    }

    /// The dependency cycle among `manifest`'s targets, if any (for collecting every manifest
    /// error in one pass, before a graph can be built).
    public static func cycle(in manifest: Manifest) -> Diagnostic? {
        var index: [String: Int] = [:]
        for (i, t) in manifest.targets.enumerated() { index[t.name] = i }
        let deps = manifest.targets.map { t in
            Array(Set(t.dependencies.compactMap { index[$0.value] })).sorted()
        }
        return findCycle(manifest: manifest, dependencies: deps, index: index)
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
    static func sort(dependencies: [[Int]], dependents: [[Int]]) -> [Int] {
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

    /// A depth-first search in declaration order. The cycle is reported where it is entered: at the
    /// edge (reference or dep) of the first target on it that the user wrote, as `a -> b -> a`.
    static func findCycle(manifest: Manifest, dependencies: [[Int]], index: [String: Int]) -> Diagnostic? {
        enum Mark { case unvisited, inStack, done }
        var marks = [Mark](repeating: .unvisited, count: dependencies.count)
        var stack: [Int] = []

        func visit(_ i: Int) -> [Int]? {
            marks[i] = .inStack
            stack.append(i)
            for j in dependencies[i] {
                switch marks[j] {
                case .inStack:
                    let start = stack.firstIndex(of: j)!
                    return Array(stack[start...]) + [j]
                case .unvisited:
                    if let c = visit(j) { return c }
                case .done:
                    break
                }
            }
            stack.removeLast()
            marks[i] = .done
            return nil
        }

        for i in dependencies.indices where marks[i] == .unvisited {
            guard let cycle = visit(i) else { continue }
            let names = cycle.map { manifest.targets[$0].name }
            let first = manifest.targets[cycle[0]]
            let location = first.dependencies.first { $0.value == names[1] }?.location ?? first.location
            return .error("dependency cycle: \(names.joined(separator: " -> "))", at: location)
        }
        return nil
    }
}
