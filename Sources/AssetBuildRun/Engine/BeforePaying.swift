import Foundation
import AssetBuildSupport
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildRemote

/// What happens before an action that sends a paid request pays, and right after (issue 12):
///
/// 1. take the action key's lease (`ActionLeases`: one payer per key at a time, so two targets
///    with identical inputs in one build, or two runners sharing Redis leases, pay once);
/// 2. while waiting was needed, look in the local cache again (the other holder's result);
/// 3. look in the remote cache: a verified hit is stored locally and restored, with no request;
/// 4. under `--locked`, refuse to pay for a result `assetbuild.lock` records (`cache pull`
///    refuses to pay for anything);
/// 5. pay; once the result is durable locally, upload its objects and then its record (when
///    uploading), still holding the lease, so whoever waits for it finds it in the remote cache.
package struct BeforePaying: Sendable {
    package let context: BuildContext
    package let cache: BuildCache
    package let planner: Planner

    package enum Outcome: Sendable {
        case restored(TargetOutput, from: RestoreSource)
        case paid(ActionResult)
    }

    package func run(_ target: Target, action: any BuildAction, resolved: ResolvedAction,
                     pay: () async throws -> ActionResult) async throws -> Outcome {
        let key = resolved.fingerprint.key
        var waited = false
        while true {
            switch try await context.leases.acquire(key: key) {
            case .freed:
                waited = true
            case .held(let lease):
                let outcome: Outcome
                do {
                    outcome = try await whileHeld(target, action: action, resolved: resolved, lookLocally: waited, pay: pay)
                } catch {
                    await lease.release()
                    throw error
                }
                await lease.release()
                return outcome
            }
        }
    }

    private func whileHeld(_ target: Target, action: any BuildAction, resolved: ResolvedAction, lookLocally: Bool,
                           pay: () async throws -> ActionResult) async throws -> Outcome {
        let key = resolved.fingerprint.key
        let forced = planner.forced.contains(target.name)
        if lookLocally, !forced, let local = try cache.actions(forKeys: [key])[key], usable(local, action: action, resolved: resolved) {
            return .restored(output(local), from: .localCache)
        }
        if !forced, let remote = context.remote,
           let fetched = await remote.fetch(key: key, target: target.name, componentsJSON: resolved.fingerprint.recordJSON,
                                            kind: action.recordKind, into: cache, warn: warn),
           usable(fetched, action: action, resolved: resolved) {
            return .restored(output(fetched), from: .remoteCache)
        }
        if context.restoreOnly {
            throw InputError(target: target.name, message: "in neither the local nor the remote cache; 'assetbuild build' generates it")
        }
        if context.locked, !forced, let refusal = LockedResults.refusal(target.name, key: key, lock: planner.lock.lockFile) {
            throw InputError(target: target.name, message: refusal)
        }
        let result = try await pay()
        if let remote = context.remote, remote.uploads, result.shortfall == nil {
            await remote.upload(key: key, from: cache, warn: warn)
        }
        return .paid(result)
    }

    /// A whole result for these inputs (the planner's rule: every image asked for, or a finished
    /// attempt with at least `min_images`).
    private func usable(_ record: ActionRecord, action: any BuildAction, resolved: ResolvedAction) -> Bool {
        guard record.kind == action.recordKind else { return false }
        if record.kind == .text { return record.textObject != nil }
        let wanted = action.makesImages ? max(1, resolved.outputs) : 1
        return record.images.count >= wanted || (record.status != .running && record.images.count >= action.minimumImages)
    }

    private func output(_ record: ActionRecord) -> TargetOutput {
        TargetOutput(actionKey: record.key, images: record.images, text: nil, failures: record.failures)
    }

    private func warn(_ message: String) { context.reporter.report(.warning(message)) }
}

/// `assetbuild.lock`'s results that would be paid for again: under `--locked` the build stops
/// before sending anything; without it, a fresh clone is warned before it regenerates them.
package enum LockedResults {
    /// Why `target` must not be paid for: the lock records this very key.
    package static func refusal(_ target: String, key: String, lock: LockFile) -> String? {
        guard let entry = lock.targets[target], entry.key == key, !entry.outputs.isEmpty else { return nil }
        return "assetbuild.lock records this result (key \(key.prefix(12))…), but it is in neither the local cache, the remote cache nor build/; "
            + "--locked does not pay for it again"
    }

    /// The stale targets of `plan` whose exact key the lock records (they would be paid for again).
    /// The lock is read only when some target is to be paid for.
    package static func recorded(in plan: PlanReport, lock: LazyLockFile) -> [TargetPlan] {
        plan.targets.filter { p in
            guard p.status == .run, p.requests > 0, let key = p.fingerprint?.key,
                  let entry = lock.lockFile.targets[p.target] else { return false }
            return entry.key == key && !entry.outputs.isEmpty
        }
    }

    /// `--locked`'s refusal before anything is sent (exit 2).
    package static func lockedError(_ targets: [TargetPlan], remote: RemoteCache?) -> DiagnosticsError {
        let names = targets.map(\.target), shown = listed(names)
        let remoteNote = remote.map { "the remote cache \($0.displayURL) does not hold them either" }
            ?? "no remote cache is configured (cache.remote in the manifest, or ASSETBUILD_REMOTE_CACHE)"
        return DiagnosticsError([.error("--locked: \(names.count) target(s) whose results assetbuild.lock records are in neither the local cache, "
                                        + "the remote cache nor build/: \(shown); nothing was sent", at: nil, notes: [
            remoteNote,
            "to get the recorded images: point cache.remote or ASSETBUILD_REMOTE_CACHE at the cache the lock was built with "
                + "('assetbuild cache pull' fetches them), or check out the committed outputs under build/",
            "to pay for new images instead (they will differ and rewrite assetbuild.lock): build without --locked",
        ])])
    }

    /// The first ten names, and how many more.
    private static func listed(_ names: [String]) -> String {
        names.prefix(10).joined(separator: ", ") + (names.count > 10 ? ", and \(names.count - 10) more" : "")
    }

    /// The loud warning of a build without `--locked` that is about to regenerate recorded results.
    package static func regenerationWarning(_ targets: [TargetPlan], cost: Double, free: Bool) -> String {
        let names = targets.map(\.target), shown = listed(names)
        let price = free ? "" : String(format: " for about $%.2f", cost)
        return "\(names.count) target(s) whose results assetbuild.lock records are in neither cache nor build/ (\(shown)): "
            + "they are generated again\(price), come out different, and replace the recorded images in assetbuild.lock. "
            + "To keep the recorded images, stop now (Ctrl-C) and fetch them (cache.remote and 'assetbuild cache pull', or the committed outputs); "
            + "CI should build with --locked, which refuses instead of paying"
    }
}

extension BuildEngine {
    /// `--locked` stops here, before anything is sent, when the plan would pay again for results
    /// `assetbuild.lock` records; without it, the build warns loudly and goes on.
    package func checkLockedResults(_ plan: PlanReport, lock: LazyLockFile, context: BuildContext, options: BuildOptions) throws {
        guard !options.restoreOnly, plan.targets.contains(where: { $0.status == .run && $0.requests > 0 }) else { return }
        let recorded = LockedResults.recorded(in: plan, lock: lock)
        guard !recorded.isEmpty else { return }
        if options.locked { throw LockedResults.lockedError(recorded, remote: context.remote) }
        // Drafts cost nothing and come out the same: only paid images are worth the alarm.
        if !options.dryRun, !context.isFree {
            let cost = recorded.reduce(0) { $0 + $1.estimatedCost }
            context.reporter.report(.warning(LockedResults.regenerationWarning(recorded, cost: cost, free: context.isFree)))
        }
    }
}
