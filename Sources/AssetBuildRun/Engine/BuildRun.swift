import Foundation
import Synchronization
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// A target whose request was sent in this build and that failed.
package struct FailedAttempt: Sendable {
    package var actionKey: String
    package var message: String
}

/// One build's execution: runs targets in dependency order, deciding each again once its upstream
/// outputs are real (an upstream rebuild with identical bytes makes the downstream up to date).
/// It knows the build only through its context: never the engine that made it.
package final class BuildRun: Sendable {
    package let context: BuildContext
    package let cache: BuildCache
    package let planner: Planner
    package let gate: RequestGate
    package let environment: ActionEnvironment
    package let materializer: Materializer
    package let stats = BuildStats()
    package let spend: SpendMeter
    package let beforePaying: BeforePaying

    private struct State {
        package var outputs: [String: TargetOutput] = [:]
        package var materialized: [String: MaterializedRecord]
        package var processed = Set<String>()
        package var failures: [String] = []
        /// Targets that failed after their request was sent: the action key of that attempt and
        /// the failure, so `build/assetbuild.json` records them (per-image errors, usage).
        package var failedAttempts: [String: FailedAttempt] = [:]
        /// What the plan said about each target, so a decision is reported again only when it
        /// changed (a target that waited for its upstream gets its real reasons under --explain
        /// and --json).
        package var planned: [String: (status: TargetStatus, reasons: [RebuildReason])] = [:]
        package var built = 0, restored = 0, upToDate = 0
    }

    private let state: Mutex<State>

    package init(context: BuildContext, cache: BuildCache, planner: Planner) {
        self.context = context
        self.cache = cache
        self.planner = planner
        self.spend = SpendMeter(budget: context.budget) { [context] in context.price($0) }
        self.gate = context.makeGate()
        let admission = RequestAdmission(gate: gate, retry: context.retry, clock: context.clock, reporter: context.reporter,
                                         stats: stats, spend: spend)
        self.environment = ActionEnvironment(cache: cache, images: context.images, text: context.text, admission: admission,
                                             reporter: context.reporter, stats: stats, spend: spend, paths: context.paths,
                                             fileSystem: context.fileSystem, derive: context.derive)
        self.materializer = Materializer(cache: cache, buildRoot: context.paths.buildRoot, fileSystem: context.fileSystem)
        self.beforePaying = BeforePaying(context: context, cache: cache, planner: planner)
        self.state = Mutex(State(materialized: planner.materialized))
    }

    package var processedTargets: Set<String> { state.withLock { $0.processed } }
    package var failureMessages: [String] { state.withLock { $0.failures } }
    package var failedRequests: [String: FailedAttempt] { state.withLock { $0.failedAttempts } }

    package func execute(order: [Int], plan: PlanReport) async -> BuildSummary {
        let manifest = context.manifest
        let graph = context.workspace.graph
        let scheduler = Scheduler(keepGoing: !context.stopOnFailure)
        let names = manifest.targets.map(\.name)
        state.withLock { s in for p in plan.targets { s.planned[p.target] = (p.status, p.reasons) } }
        // The plan's "up to date" is final: it is decided only once every upstream output is
        // known. Those targets need no task: their outputs go straight to what depends on them,
        // and a build that stops early never calls them skipped.
        var settled = Set<String>()
        for p in plan.targets where p.status == .upToDate && !p.adoptsLockedOutputs {
            guard let t = manifest[p.target], let output = p.output,
                  let withText = try? planner.withText(output, target: t) else { continue }
            settled.insert(p.target)
            state.withLock { s in
                s.outputs[p.target] = withText
                s.processed.insert(p.target)
                s.upToDate += 1
            }
        }
        let nodes = order.filter { !settled.contains(names[$0]) }
        let outcomes = await withTaskCancellationHandler {
            await scheduler.run(nodes: nodes, dependencies: graph.dependencies, name: { names[$0] }) { i in
                try await self.buildTarget(manifest.targets[i])
            }
        } onCancel: {
            Task { await self.gate.cancelAll() }
        }
        var summary = BuildSummary()
        summary.targets = order.count
        for (i, outcome) in outcomes {
            switch outcome {
            case .failed: summary.failed += 1
            case .skipped(let because):
                summary.skipped += 1
                context.reporter.report(.targetSkipped(target: names[i], because: because.map { "upstream '\($0)' failed" } ?? "the build stopped"))
            case .cancelled: summary.interrupted = true
            case .succeeded: break
            }
        }
        state.withLock { s in
            summary.built = s.built
            summary.restored = s.restored
            summary.upToDate = s.upToDate
        }
        summary.requests = stats.requests
        summary.retries = stats.retries
        summary.imagesGenerated = stats.images
        summary.spend = spend.spent
        return summary
    }

    private func buildTarget(_ target: Target) async throws {
        // Only this target's upstream outputs: copying the whole map per target would make a
        // build quadratic in the number of targets.
        let upstream: [String: TargetOutput] = state.withLock { s in
            var mine: [String: TargetOutput] = [:]
            for d in target.dependencies { mine[d.value] = s.outputs[d.value] }
            return mine
        }
        let action = context.kinds.action(for: target)
        var sentKey: String?
        do {
            var decision = try planner.decide(target, upstream: { upstream[$0] })
            if decision.status == .pending {
                throw InputError(target: target.name, message: "an upstream output is missing")
            }
            let records: [String: MaterializedRecord] = state.withLock { s in
                var mine: [String: MaterializedRecord] = [:]
                for path in target.possibleOutputPaths { mine[path] = s.materialized[path] }
                return mine
            }
            let before = state.withLock { $0.planned[target.name] }
            let status: TargetStatus = decision.status == .pending ? .run : decision.status
            // A target the plan found in the remote cache is decided again when it is fetched.
            let remoteHit = before?.reasons.contains(.inRemoteCache) == true && status == .run
            if before?.status != status || before?.reasons != decision.reasons, before != nil || status != .upToDate, !remoteHit {
                context.reporter.report(.decided(target: target.name, status: status, reasons: decision.reasons,
                                                detail: decision.detail))
            }
            var output: TargetOutput
            switch decision.status {
            case .upToDate:
                output = decision.output!
                if decision.adoptsLockedOutputs {
                    try record(target, fingerprint: decision.fingerprint!, written: try adopt(target, decision: decision))
                }
                state.withLock { $0.upToDate += 1 }
            case .restore:
                output = decision.output!
                // Re-indexed from assetbuild.lock: the files already in place are recorded as they are.
                let inPlace = decision.adoptsLockedOutputs ? try adopt(target, decision: decision) : []
                let existing = records.merging(inPlace.map { ($0.path, $0) }) { _, adopted in adopted }
                try restore(target, output: output, fingerprint: decision.fingerprint!, existing: existing, adopted: inPlace)
            case .run, .pending:
                decision.status = .run
                // A file of the user's where an output goes: refuse before paying, not after.
                if action.sendsRequest, let refusal = materializer.refusalBeforeSending(
                    target, count: max(1, decision.resolved?.outputs ?? 1), existing: records) {
                    throw InputError(target: target.name, message: refusal)
                }
                guard let resolved = decision.resolved else {
                    throw InputError(target: target.name, message: "internal error: no inputs resolved")
                }
                sentKey = resolved.fingerprint.key
                let paid = { [decision] in try await action.run(decision, resolved: resolved, in: self.environment) }
                let outcome = action.sendsRequest
                    ? try await beforePaying.run(target, action: action, resolved: resolved, pay: paid) : .paid(try await paid())
                switch outcome {
                case .restored(let restored, let source):
                    output = restored
                    sentKey = nil
                    try restore(target, output: restored, fingerprint: resolved.fingerprint, existing: records, from: source)
                case .paid(let result):
                    output = result.output
                    let written = try materializer.materialize(target, output: output, existing: records)
                    if let shortfall = result.shortfall {
                        try cache.recordMaterialized(written, buildRoot: context.paths.buildRoot)
                        throw InputError(target: target.name, message: shortfall)
                    }
                    try record(target, fingerprint: decision.fingerprint!, written: written)
                    state.withLock { $0.built += 1 }
                }
            }
            if action.outputIsText, output.text == nil, let obj = output.images.first?.object {
                output.text = String(decoding: try cache.objects.read(obj), as: UTF8.self)
            }
            state.withLock { s in
                s.outputs[target.name] = output
                s.processed.insert(target.name)
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch let stopped as BuildStopped {
            // Never sent: another target failed and the build does not keep going.
            throw stopped
        } catch {
            if context.stopOnFailure { await gate.close() }
            let message = "\(error)"
            state.withLock { s in
                s.failures.append(message)
                s.processed.insert(target.name)
                if let sentKey { s.failedAttempts[target.name] = FailedAttempt(actionKey: sentKey, message: message) }
            }
            context.reporter.report(.targetFailed(target: target.name, message: message))
            throw error
        }
    }

    /// Writes a result already in the cache into the build directory, records it, and reports it.
    private func restore(_ target: Target, output: TargetOutput, fingerprint: Fingerprint, existing: [String: MaterializedRecord],
                         adopted: [MaterializedRecord] = [], from source: RestoreSource = .localCache) throws {
        let written = try materializer.materialize(target, output: output, existing: existing) + adopted
        try record(target, fingerprint: fingerprint, written: written)
        context.reporter.report(.targetRestored(target: target.name, files: written.count, from: source))
        state.withLock { $0.restored += 1 }
    }

    /// Imports the outputs `assetbuild.lock` records into the cache's index (action and images), so
    /// the next build knows them without hashing the files again: files of the build directory that
    /// hold them are put into the object store, the others are objects already there (the index was
    /// lost). Returns the build directory's files that already hold their output. Nothing is sent.
    private func adopt(_ target: Target, decision: TargetPlan) throws -> [MaterializedRecord] {
        guard let fp = decision.fingerprint, let action = decision.action else { return [] }
        try cache.beginAction(key: fp.key, target: target.name, componentsJSON: fp.recordJSON, kind: action.kind)
        var inPlace: [MaterializedRecord] = []
        for image in action.images {
            let rel = target.outputPath(imageNumber: image.index + 1)
            let path = context.paths.buildRoot + "/" + rel
            let fs = context.fileSystem
            if let st = fs.stat(path), !st.isDirectory, (try? fs.sha256(ofFileAt: path).hex) == image.object.hex {
                let id = try cache.objects.put(try fs.read(path))
                guard id == image.object, let after = fs.stat(path) else {
                    throw InputError(target: target.name, message: "'\(rel)' changed while it was being adopted from assetbuild.lock")
                }
                inPlace.append(MaterializedRecord(path: rel, target: target.name, object: id, size: after.size,
                                                  mtimeNs: after.mtimeNs, inode: after.inode))
            } else if decision.status == .upToDate {
                throw InputError(target: target.name, message: "'\(rel)' changed while it was being adopted from assetbuild.lock")
            }
            try cache.recordImage(actionKey: fp.key, image: image)
        }
        try cache.finishAction(key: fp.key, status: .complete)
        return inPlace
    }

    /// Records the target's new state and what was written for it, each in one short transaction.
    private func record(_ target: Target, fingerprint: Fingerprint, written: [MaterializedRecord]) throws {
        if !written.isEmpty {
            try cache.recordMaterialized(written, buildRoot: context.paths.buildRoot)
            state.withLock { s in for r in written { s.materialized[r.path] = r } }
        }
        let project = context.workspace.project
        if let state = planner.targetStates[target.name], state.actionKey == fingerprint.key, state.project == project { return }
        try cache.recordTargetState(TargetStateRecord(target: target.name, actionKey: fingerprint.key,
                                                      componentsJSON: fingerprint.recordJSON, builtAt: context.clock.wallNow(), project: project))
    }
}
