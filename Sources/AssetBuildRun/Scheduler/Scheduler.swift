import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders
/// Runs work in dependency order: a target starts once everything it depends on finished, up to
/// the concurrency the work itself allows (request slots and rate limits live in `RequestGate`).
/// A failure skips what depends on it; without keep-going nothing new starts after a failure, but
/// what is already running finishes (its images are paid for).
public struct Scheduler: Sendable {
    public enum Outcome: Sendable, Equatable {
        case succeeded
        case failed
        /// Not run because `because` failed (or, without keep-going, because the build stopped).
        case skipped(because: String?)
        case cancelled
    }

    public var keepGoing: Bool

    public init(keepGoing: Bool) {
        self.keepGoing = keepGoing
    }

    /// Runs `work` for each node in `nodes` (indices into `dependencies`), respecting edges among them.
    /// Edges to nodes outside `nodes` are treated as already satisfied.
    public func run(nodes: [Int], dependencies: [[Int]], name: @Sendable (Int) -> String,
                    work: @escaping @Sendable (Int) async throws -> Void) async -> [Int: Outcome] {
        let included = Set(nodes)
        var waitingOn: [Int: Int] = [:]
        var dependents: [Int: [Int]] = [:]
        for n in nodes {
            let deps = dependencies[n].filter { included.contains($0) }
            waitingOn[n] = deps.count
            for d in deps { dependents[d, default: []].append(n) }
        }
        var outcomes: [Int: Outcome] = [:]
        var ready = nodes.filter { waitingOn[$0] == 0 }
        var stopping = false

        func skipDependents(of n: Int, because: String) {
            var stack = dependents[n] ?? []
            while let d = stack.popLast() {
                guard outcomes[d] == nil else { continue }
                outcomes[d] = .skipped(because: because)
                stack += dependents[d] ?? []
            }
        }

        await withTaskGroup(of: (Int, Outcome).self) { group in
            var running = 0
            func launch() {
                while !stopping, let n = ready.first {
                    ready.removeFirst()
                    guard outcomes[n] == nil else { continue }
                    running += 1
                    group.addTask {
                        do {
                            try await work(n)
                            return (n, .succeeded)
                        } catch is CancellationError {
                            return (n, .cancelled)
                        } catch is BuildStopped {
                            return (n, .skipped(because: nil))
                        } catch {
                            return (n, Task.isCancelled ? .cancelled : .failed)
                        }
                    }
                }
            }
            launch()
            while running > 0, let (n, outcome) = await group.next() {
                running -= 1
                outcomes[n] = outcome
                switch outcome {
                case .succeeded:
                    for d in dependents[n] ?? [] {
                        waitingOn[d]! -= 1
                        if waitingOn[d] == 0 { ready.append(d) }
                    }
                case .failed:
                    skipDependents(of: n, because: name(n))
                    if !keepGoing { stopping = true }
                case .cancelled:
                    stopping = true
                case .skipped:
                    // Stopped before it was sent: what depends on it does not run either.
                    stopping = true
                    var stack = dependents[n] ?? []
                    while let d = stack.popLast() {
                        guard outcomes[d] == nil else { continue }
                        outcomes[d] = .skipped(because: nil)
                        stack += dependents[d] ?? []
                    }
                }
                if Task.isCancelled { stopping = true }
                launch()
            }
        }
        for n in nodes where outcomes[n] == nil {
            outcomes[n] = stopping ? .skipped(because: nil) : .cancelled
        }
        return outcomes
    }
}
