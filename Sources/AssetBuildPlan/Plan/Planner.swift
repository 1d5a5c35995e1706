import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// What a build will do with one target.
public enum TargetStatus: String, Sendable, Codable {
    /// Outputs are in place and match the current inputs.
    case upToDate = "up-to-date"
    /// The result is in the cache: outputs are written from it, no request is sent.
    case restore
    /// Images (or text) must be generated: requests cost money.
    case run
    /// An upstream target will run first; whether this one runs depends on what it produces.
    case pending

    /// How `plan`, `status` and `--explain` say it.
    public var summary: String {
        switch self {
        case .upToDate: return "up to date"
        case .restore: return "restore from cache"
        case .run: return "build"
        case .pending: return "build if upstream changes"
        }
    }
}

/// The decision for one target, with the reasons behind it.
public struct TargetPlan: Sendable {
    public var target: String
    public var status: TargetStatus
    public var reasons: [RebuildReason]
    public var fingerprint: Fingerprint?
    /// The key and the inputs its kind of action resolved, once every upstream output is known.
    public var resolved: ResolvedAction?
    /// The cached action for this key, if any (complete, partial or interrupted).
    public var action: ActionRecord?
    /// Images the next request will ask for (the group's size, less what an interrupted run kept).
    public var imagesToGenerate: Int
    /// Requests to send (0 or 1 per target; `pending` counts as the worst case).
    public var requests: Int
    public var model: String?
    public var estimatedCost: Double
    /// How a storybook's picture group fits the service's limit (`11 images (10 scenes + cover) of
    /// at most 13 with 2 references`), and which pages the limit leaves without a picture.
    public var detail: String?

    /// Outputs found in the build directory exactly as `assetbuild.lock` records them for this key:
    /// up to date with no request; the build imports them into the cache.
    public var adoptsLockedOutputs = false

    /// The output when the target needs no request.
    public var output: TargetOutput? {
        guard status == .upToDate || status == .restore, let action, let fingerprint else { return nil }
        return TargetOutput(actionKey: fingerprint.key, images: action.images, text: nil, failures: action.failures)
    }
}

/// Decides, target by target in dependency order, what is stale and why (Ninja's DependencyScan,
/// llbuild's RunReason). It only reads: the cache, the file-digest memo, and stats of outputs.
public struct Planner: Sendable {
    public var manifest: Manifest
    public var fingerprinter: Fingerprinter
    /// Each target's action: what its kind keys, reports and counts.
    public var actions: @Sendable (Target) -> any PlannedAction
    public var cache: BuildCache
    public var buildRoot: String
    public var targetStates: [String: TargetStateRecord]
    public var materialized: [String: MaterializedRecord]
    public var forced: Set<String> = []
    /// Actions fetched up front in one query (the keys each target had last time), so a build
    /// where nothing changed makes no per-target query.
    public var knownActions: [String: ActionRecord] = [:]
    /// `assetbuild.lock`: on a fresh clone, committed outputs that match it need no request.
    public var lock = LazyLockFile(LockFile(targets: [:]))
    /// Reads the build directory's files (outputs adopted from `assetbuild.lock`).
    public var fileSystem: any FileSystem = LocalFileSystem()
    /// Dates the actions adopted from `assetbuild.lock`.
    public var clock: any BuildClock = SystemClock()

    public init(manifest: Manifest, fingerprinter: Fingerprinter, actions: @escaping @Sendable (Target) -> any PlannedAction,
                cache: BuildCache, buildRoot: String,
                targetStates: [String: TargetStateRecord], materialized: [String: MaterializedRecord]) {
        self.manifest = manifest
        self.fingerprinter = fingerprinter
        self.actions = actions
        self.cache = cache
        self.buildRoot = buildRoot
        self.targetStates = targetStates
        self.materialized = materialized
    }

    /// Loads the actions every target had last time, in one query.
    public mutating func prefetchActions() throws {
        knownActions = try cache.actions(forKeys: Set(targetStates.values.map(\.actionKey)))
    }

    /// Plans `targets` (declaration indices, in topological order) as if nothing ran yet.
    public func plan(_ order: [Int], graph: BuildGraph) throws -> [TargetPlan] {
        var plans: [String: TargetPlan] = [:]
        var outputs: [String: TargetOutput] = [:]
        var out: [TargetPlan] = []
        for i in order {
            let t = manifest.targets[i]
            // Made once per target: an action holds a copy of its target.
            let kind = actions(t)
            let pendingUpstream = graph.dependencies[i].map { manifest.targets[$0].name }
                .first { plans[$0]?.status == .run || plans[$0]?.status == .pending }
            var p: TargetPlan
            if let up = pendingUpstream {
                p = pendingPlan(kind, reason: .upstreamPending(up))
                let own = ownChanges(kind, upstream: { outputs[$0] ?? previousOutput($0) })
                // Its own edit makes it run whatever the upstream produces.
                if !own.isEmpty { p.status = .run }
                p.reasons = own + p.reasons
            } else {
                do {
                    p = try decide(kind, upstream: { outputs[$0] })
                } catch let error as InputError {
                    // One target's unreadable input fails that target when it runs (exit 1, and
                    // -k builds the rest); it must not abort the whole plan.
                    p = pendingPlan(kind, reason: .inputError(error.message))
                    p.status = .run
                }
            }
            if let o = try p.output.map({ try withText($0, kind: kind) }) { outputs[t.name] = o }
            plans[t.name] = p
            out.append(p)
        }
        return out
    }

    /// What changed in the target itself (prompt, options, reference files), judged as if its
    /// upstream targets produced what they did last time: a target waiting for an upstream still
    /// shows its own edits in `plan` and `status`, not only once the upstream has run.
    package func ownChanges(_ kind: any PlannedAction, upstream: (String) -> TargetOutput?) -> [RebuildReason] {
        let t = kind.target
        guard targetStates[t.name] != nil else { return [.neverBuilt] }
        guard let resolved = try? fingerprinter.fingerprint(kind, upstream: upstream) else { return [] }
        return changeReasons(t, fp: resolved.fingerprint).filter { !$0.comesFromUpstream }
    }

    /// A target's output as the last build left it (its recorded action), or nil.
    package func previousOutput(_ name: String) -> TargetOutput? {
        guard let key = targetStates[name]?.actionKey,
              let action = knownActions[key] ?? (try? cache.actions(forKeys: [key]))?[key],
              let target = manifest[name] else { return nil }
        let output = TargetOutput(actionKey: key, images: action.images, text: nil, failures: action.failures)
        return try? withText(output, target: target)
    }

    /// Text outputs carry their reply, read from the object store (small JSON).
    package func withText(_ o: TargetOutput, target: Target) throws -> TargetOutput {
        try withText(o, kind: actions(target))
    }

    private func withText(_ o: TargetOutput, kind: any PlannedAction) throws -> TargetOutput {
        guard kind.outputIsText, let obj = o.images.first?.object else { return o }
        let target = kind.target
        var copy = o
        // An output adopted from assetbuild.lock is not in the object store yet: read the file.
        let bytes = cache.objects.contains(obj) ? try cache.objects.read(obj) : try fileSystem.read(buildRoot + "/" + target.outputPath())
        copy.text = String(decoding: bytes, as: UTF8.self)
        return copy
    }

    package func pendingPlan(_ action: any PlannedAction, reason: RebuildReason) -> TargetPlan {
        let t = action.target
        let figures = action.pendingFigures
        return TargetPlan(target: t.name, status: .pending, reasons: [reason], fingerprint: nil, resolved: nil, action: nil,
                          imagesToGenerate: figures.images, requests: action.sendsRequest ? 1 : 0, model: figures.model,
                          estimatedCost: Double(figures.images) * action.pricePerImage(manifest.provider), detail: figures.detail)
    }

    /// The decision for one target whose upstream outputs are all known.
    public func decide(_ t: Target, upstream: (String) -> TargetOutput?) throws -> TargetPlan {
        try decide(actions(t), upstream: upstream)
    }

    private func decide(_ kind: any PlannedAction, upstream: (String) -> TargetOutput?) throws -> TargetPlan {
        let t = kind.target
        guard let resolved = try fingerprinter.fingerprint(kind, upstream: upstream) else {
            return pendingPlan(kind, reason: .upstreamPending(t.dependencies.first?.value ?? "?"))
        }
        let fp = resolved.fingerprint
        let action = try knownActions[fp.key] ?? cache.actions(forKeys: [fp.key])[fp.key]
        let wanted = kind.makesImages ? max(1, resolved.outputs) : 1
        let minimum = kind.minimumImages
        var plan = TargetPlan(target: t.name, status: .run, reasons: [], fingerprint: fp, resolved: resolved, action: action,
                              imagesToGenerate: kind.makesImages && kind.sendsRequest ? wanted : 0, requests: kind.sendsRequest ? 1 : 0,
                              model: kind.model, estimatedCost: 0, detail: resolved.detail)

        if action == nil, !forced.contains(t.name), let (adopted, inPlace) = adoptable(kind, key: fp.key) {
            plan.requests = 0
            plan.imagesToGenerate = 0
            plan.action = adopted
            plan.adoptsLockedOutputs = true
            // Every output in the build directory: up to date. Some only in the object store (the
            // index was lost, after `clean`): restored from the objects, still with no request.
            plan.status = inPlace ? .upToDate : .restore
            plan.reasons = inPlace ? [.matchesLock] : [.reindexedFromLock]
            return plan
        }

        let have = action?.images.count ?? 0
        let usable = action.map { a in
            a.kind == .text ? a.textObject != nil : (have >= wanted || (a.status != .running && have >= minimum))
        } ?? false

        if usable && !forced.contains(t.name), let action {
            plan.requests = 0
            plan.imagesToGenerate = 0
            let state = targetStates[t.name]
            let outputProblems = checkOutputs(t, action: action)
            if state?.actionKey == fp.key, outputProblems.isEmpty {
                plan.status = .upToDate
            } else {
                plan.status = .restore
                if state?.actionKey != fp.key {
                    plan.reasons = changeReasons(t, fp: fp) + [.restoredFromCache]
                }
                // When the inputs changed, outputs holding the older result go without saying.
                plan.reasons += state?.actionKey == fp.key ? outputProblems : outputProblems.filter {
                    if case .outputOutdated = $0 { return false }
                    return true
                }
            }
            return plan
        }

        if forced.contains(t.name) {
            // Forced: a whole new result, not a resume; its images replace the recorded ones.
            plan.reasons.append(.forced)
            plan.action = nil
        } else if let action, have > 0, kind.makesImages, kind.sendsRequest {
            // Resume: ask only for what did not arrive; what did is kept and never paid for again.
            plan.reasons.append(action.status == .running ? .interrupted(received: have, wanted: wanted) : .failedBefore)
            plan.imagesToGenerate = max(1, wanted - have)
        } else if let action, action.status == .failed || action.status == .partial {
            plan.reasons.append(.failedBefore)
        }
        var changes = changeReasons(t, fp: fp)
        // "never built" says nothing more once an interrupted or failed attempt is named.
        if !plan.reasons.isEmpty { changes.removeAll { $0 == .neverBuilt } }
        plan.reasons = changes + plan.reasons
        if plan.reasons.isEmpty { plan.reasons = [.neverBuilt] }
        plan.estimatedCost = Double(plan.imagesToGenerate) * kind.pricePerImage(manifest.provider)
        return plan
    }

    /// The outputs `assetbuild.lock` records for this target and key, when every one of them is at
    /// hand with exactly those bytes: in the build directory (a fresh clone with committed outputs)
    /// or in the object store (the index `cache.db` was lost or truncated, the objects were not).
    /// `inPlace`: all of them are in the build directory already.
    package func adoptable(_ kind: any PlannedAction, key: String) -> (action: ActionRecord, inPlace: Bool)? {
        let t = kind.target
        guard let entry = lock.lockFile.targets[t.name], entry.key == key, !entry.outputs.isEmpty else { return nil }
        var images: [ActionImage] = []
        var inPlace = true
        let count = max(1, kind.pendingFigures.images)
        for (path, sha) in entry.outputs {
            guard let n = (1...count).first(where: { t.outputPath(imageNumber: $0) == path }),
                  let id = ObjectID(hex: sha) else { return nil }
            // The object's bytes are checked when it is copied into the build directory.
            let full = buildRoot + "/" + path
            let source: String
            if let st = fileSystem.stat(full), !st.isDirectory, (try? fileSystem.sha256(ofFileAt: full).hex) == sha {
                source = full
            } else if cache.objects.contains(id) {
                source = cache.objects.path(for: id)
                inPlace = false
            } else {
                return nil
            }
            guard let st = fileSystem.stat(source) else { return nil }
            var width = 0, height = 0
            if kind.makesImages, let data = try? fileSystem.read(source), let info = try? ImageProbe.probe(data) {
                (width, height) = (info.width, info.height)
            }
            images.append(ActionImage(index: n - 1, object: id, width: width, height: height, byteCount: Int(st.size)))
        }
        let action = ActionRecord(key: key, target: t.name, componentsJSON: "", kind: kind.recordKind,
                                  status: .complete, images: images.sorted { $0.index < $1.index }, failures: [], usage: nil,
                                  requestIDs: [], model: nil, createdAt: clock.wallNow(), finishedAt: clock.wallNow())
        return (action, inPlace)
    }

    /// What changed since this target was last built, field by field.
    package func changeReasons(_ t: Target, fp: Fingerprint) -> [RebuildReason] {
        guard let state = targetStates[t.name] else { return [.neverBuilt] }
        guard state.actionKey != fp.key else { return [] }
        guard let reasons = fp.changes(sinceRecord: state.componentsJSON) else {
            return [.optionChanged(name: "inputs", old: "unknown", new: "current")]
        }
        let targetNames = Set(manifest.targetNames)
        return reasons.map {
            if case .referenceChanged(let label) = $0 {
                let base = label.split(separator: "[").first.map(String.init) ?? label
                if targetNames.contains(base) { return .upstreamRebuilt(base) }
            }
            return $0
        }
    }

    /// Outputs missing or changed by hand, judged by stat alone (no bytes read unless stat moved).
    /// A file that still holds what an earlier build wrote is not a hand edit: it is simply
    /// replaced when the target is restored or rebuilt.
    package func checkOutputs(_ t: Target, action: ActionRecord) -> [RebuildReason] {
        var problems: [RebuildReason] = []
        for image in action.images {
            let rel = t.outputPath(imageNumber: image.index + 1)
            let path = buildRoot + "/" + rel
            guard let st = fileSystem.stat(path) else {
                problems.append(.outputMissing(rel))
                continue
            }
            guard let rec = materialized[rel] else {
                // A file assetbuild did not write sits where an output goes.
                problems.append(.outputModified(rel))
                continue
            }
            let untouched = st.size == rec.size && st.mtimeNs == rec.mtimeNs && st.inode == rec.inode
            if rec.object == image.object, rec.target == t.name {
                // Touched: compare bytes before calling it modified.
                if !untouched, (try? fileSystem.sha256(ofFileAt: path).hex) != image.object.hex {
                    problems.append(.outputModified(rel))
                }
            } else if untouched {
                problems.append(.outputOutdated(rel))
            } else {
                problems.append(.outputModified(rel))
            }
        }
        return problems
    }
}
