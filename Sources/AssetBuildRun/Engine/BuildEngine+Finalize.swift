import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

extension BuildEngine {
    /// Removes outputs no longer declared, then writes the build record and lock file when they changed.
    /// `knownComponents`: action keys' components already in memory (see `BuildRecord.make`).
    /// `failed`: targets whose request was sent and failed; the record describes that attempt.
    package func finalize(_ context: BuildContext, cache: BuildCache, selection: [Int], processed: Set<String>,
                  summary: inout BuildSummary, changed: Bool, knownComponents: [String: any KeyComponents] = [:],
                  failed: [String: FailedAttempt] = [:]) throws {
        let workspace = context.workspace, manifest = context.manifest, reporter = context.reporter
        let recordPath = context.paths.buildRecord
        let lockPath = context.paths.lockFile
        let project = workspace.project
        let states = try cache.targetStates(project: project)
        // States from before projects were told apart become this project's where it agrees with them.
        let legacy = states.values.filter { $0.project == BuildCache.legacyProject && manifest[$0.target] != nil }
        if !legacy.isEmpty {
            let agreed = legacy.filter { processed.contains($0.target) && knownComponents[$0.actionKey] != nil }
            try cache.claimLegacyStates(project: project, keys: Dictionary(agreed.map { ($0.target, $0.actionKey) }) { a, _ in a })
        }
        let gone = states.values.filter { $0.project == project && manifest[$0.target] == nil }.map(\.target)
        // Nothing ran, nothing was restored, and the records are in place: nothing to write.
        if !changed, context.fileSystem.exists(recordPath), context.fileSystem.exists(lockPath), gone.isEmpty {
            return
        }
        let records = try cache.materialized(buildRoot: workspace.buildRoot)
        let actions = try cache.actions(forKeys: Set(states.values.map(\.actionKey)))
        // Declared: every output a current target produced (or may produce, if it was not processed).
        var declared = Set<String>()
        for t in manifest.targets {
            if processed.contains(t.name), let state = states[t.name], let action = actions[state.actionKey] {
                for image in action.images { declared.insert(t.outputPath(imageNumber: image.index + 1)) }
            } else {
                declared.formUnion(records.values.filter { $0.target == t.name }.map(\.path))
            }
        }
        let materializer = Materializer(cache: cache, buildRoot: workspace.buildRoot, fileSystem: context.fileSystem)
        let removed = materializer.removeStale(keeping: declared, records: records) { reporter.report(.warning($0)) }
        if !removed.isEmpty {
            try cache.removeMaterialized(paths: removed, buildRoot: workspace.buildRoot)
            for path in removed { reporter.report(.outputRemoved(path: path)) }
        }
        // A build killed while writing an output may have left a temp file beside it.
        for dir in Set(declared.map { (workspace.buildRoot + "/" + $0 as NSString).deletingLastPathComponent } + [workspace.buildRoot]) {
            FileOps.sweepTempFiles(in: dir)
        }
        if !gone.isEmpty { try cache.removeTargetStates(gone, project: project) }

        var record = BuildRecord.make(manifest: manifest, states: states.filter { manifest[$0.key] != nil }, actions: actions,
                                      knownComponents: knownComponents)
        // A target this cache has no state for (a fresh clone whose build failed or skipped it)
        // keeps what the record said of it: its committed outputs are still assetbuild's, and the
        // lock still names them. The old record is decoded only when there is such a target
        // (~0.1 s for 10,000 entries, and usually every target has a state).
        // A target that failed in an earlier build and was not built now keeps its failure entry
        // there too (a build of other targets must not hide it).
        let stateless = manifest.targets.filter { record.targets[$0.name] == nil && states[$0.name] == nil }
        let unprocessed = manifest.targets.filter { !processed.contains($0.name) }
        var stillFailed: [String: BuildRecord.Entry] = [:]
        if !stateless.isEmpty || !unprocessed.isEmpty, let data = FileManager.default.contents(atPath: recordPath),
           let old = try? JSONDecoder().decode(BuildRecord.self, from: data) {
            for t in stateless {
                if let entry = old.targets[t.name], entry.status == nil { record.targets[t.name] = entry }
            }
            for t in unprocessed {
                if let entry = old.targets[t.name], entry.status != nil { stillFailed[t.name] = entry }
            }
        }
        // The lock lists results only; the record also says what failed, with its per-image errors.
        let lockText = record.lockFile(pins: try cache.pins().filter { Set(URLPinner.pinnedURLs(context.actions)).contains($0.key) }
            .mapValues(\.object.hex))
        record.targets.merge(stillFailed) { _, failure in failure }
        let attempts = try cache.actions(forKeys: Set(failed.values.map(\.actionKey)))
        for (name, attempt) in failed {
            guard let t = manifest[name], let action = attempts[attempt.actionKey],
                  var entry = BuildRecord.entry(t, actionKey: attempt.actionKey, action: action,
                                                components: knownComponents[attempt.actionKey]) else { continue }
            // Only the outputs this attempt wrote into the build directory.
            entry.outputs.removeAll { o in records[o.path]?.object.hex != o.sha256 || removed.contains(o.path) }
            entry.status = "failed"
            entry.error = attempt.message
            record.targets[name] = entry
        }
        if !record.targets.isEmpty || context.fileSystem.exists(workspace.buildRoot) {
            try BuildRecord.writeIfChanged(record.encoded(), to: recordPath, fileSystem: context.fileSystem)
        }
        try BuildRecord.writeIfChanged(Data(lockText.utf8), to: lockPath, fileSystem: context.fileSystem)
    }

    /// Everything a full build read or wrote, for the next no-op check, and the files that
    /// decide libvips' answers when something derives (an upgraded libvips or a new font re-plans).
    package func writeStamp(_ stamp: NoopStamp, context: BuildContext, cache: BuildCache, deriveFacts: DeriveFacts?) throws {
        let workspace = context.workspace, manifest = context.manifest
        let outputs = try cache.materialized(buildRoot: workspace.buildRoot).keys.map { workspace.buildRoot + "/" + $0 }
        let files = manifest.inputFiles + outputs
            + [context.paths.buildRecord, context.paths.lockFile] + (deriveFacts?.stateFiles ?? [])
        let names = workspace.graph.topologicalOrder.map { manifest.targets[$0].name }
        try stamp.write(manifestBytes: try context.fileSystem.read(manifest.path), targets: names, files: files)
    }
}
