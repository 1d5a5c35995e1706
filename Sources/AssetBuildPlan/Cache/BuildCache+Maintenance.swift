import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

// `assetbuild cache stats|verify|gc`. These scan the object directory (the source of truth for
// which objects exist) and read whole tables; they are not on the build path.

extension BuildCache {
    public func stats() throws -> CacheStats {
        let scan = try objects.scan()
        var stats = CacheStats(objectCount: scan.objects.count, objectBytes: scan.objects.reduce(0) { $0 + $1.size },
                               actionsByStatus: [:], imageCount: 0, targetStateCount: 0, materializedCount: 0,
                               databaseBytes: 0)
        try withDatabase { db in
            try db.query("SELECT status, count(*) FROM actions GROUP BY status") { row in
                if let status = ActionStatus(rawValue: row.text(0)) { stats.actionsByStatus[status] = row.int(1) }
            }
            stats.imageCount = Int(try db.scalarInt("SELECT count(*) FROM action_images"))
            stats.targetStateCount = Int(try db.scalarInt("SELECT count(*) FROM target_states"))
            stats.materializedCount = Int(try db.scalarInt("SELECT count(*) FROM materialized"))
        }
        for suffix in ["", "-wal"] {
            var info = stat()
            if stat(databasePath + suffix, &info) == 0 { stats.databaseBytes += Int64(info.st_size) }
        }
        return stats
    }

    /// `assetbuild cache verify`: `verify()`, then what the index does not know of the object
    /// store (`indexProblems(lock:)`); when the index cannot be opened (damaged), that is the first
    /// problem and the objects are still re-hashed. `lock` is the project's `assetbuild.lock`.
    public static func verify(directory: URL, lock: LockFile) throws -> [CacheProblem] {
        let cache: BuildCache
        do {
            cache = try BuildCache.open(directory: directory)
        } catch let error as CacheError {
            guard case .corruptDatabase = error else { throw error }
            let objects = try ObjectStore(directory: directory.appendingPathComponent("objects"))
            return [.damagedIndex(error.description)] + (try objects.verifyAll().problems)
        }
        return try cache.verify() + cache.indexProblems(lock: lock)
    }

    /// Re-hashes every object and checks every row points at an object on disk.
    public func verify() throws -> [CacheProblem] {
        var (problems, present) = try objects.verifyAll()
        for (key, action) in try allActions().sorted(by: { $0.key < $1.key }) {
            for image in action.images where !present.contains(image.object) {
                problems.append(.missingObject(image.object, actionKey: key))
            }
        }
        for row in try allMaterialized() where !present.contains(row.object) {
            problems.append(.missingMaterializedObject(row.object, buildRoot: row.buildRoot, path: row.path))
        }
        return problems
    }

    /// Objects on disk that no row of the index names (no action, materialized file or pinned
    /// URL). After a lost or truncated `cache.db` these are paid images the index forgot: the next
    /// build re-indexes those `lock` lists; the others (an interrupted write, a result replaced by
    /// `--force`) only `cache gc` removes. An empty index over a non-empty store is said first.
    public func indexProblems(lock: LockFile) throws -> [CacheProblem] {
        let scan = try objects.scan()
        let (indexed, rows) = try withDatabase { db in
            var ids = Set<ObjectID>()
            try db.query("SELECT object FROM action_images UNION SELECT object FROM materialized UNION SELECT object FROM url_pins") {
                ids.insert(ObjectID(trusted: $0.text(0)))
            }
            return (ids, try db.scalarInt("SELECT (SELECT count(*) FROM actions) + (SELECT count(*) FROM target_states)"))
        }
        var locked: [String: String] = [:]
        for (name, entry) in lock.targets { for o in entry.outputs { locked[o.sha256] = name } }
        for (url, sha) in lock.pins { locked[sha] = url }
        var problems: [CacheProblem] = []
        if rows == 0, !scan.objects.isEmpty {
            problems.append(.emptyIndex(objects: scan.objects.count, listedInLock: scan.objects.filter { locked[$0.id.hex] != nil }.count))
        }
        for entry in scan.objects where !indexed.contains(entry.id) {
            problems.append(.unindexedObject(entry.id, lockedBy: locked[entry.id.hex]))
        }
        return problems
    }

    /// Removes actions and objects nobody needs. Call it while holding the build lock: an object
    /// put by a running build but not yet recorded looks unreferenced.
    ///
    /// An action is *protected* if it is in `keepingActions` or is the last state of a target of
    /// any project using this cache (`target_states`); the others are *evictable*. Then:
    /// - `keepingActions` given: evictable actions are unreachable and removed, only those last
    ///   used before `olderThan` when that is given too;
    /// - only `olderThan` given: evictable actions last used before it are removed;
    /// - `maxBytes`: further evictable actions, least recently used first, until the objects
    ///   still referenced fit in `maxBytes` (`overBudget` if protected objects alone do not).
    /// Finally every object referenced by no remaining action and no materialized row (of any
    /// build root) and no pinned URL is deleted, with leftover temporary files. Objects of
    /// materialized rows and pins are never deleted. "Last used" is an action's finish time, else its creation time.
    public func collectGarbage(keepingActions: Set<String>?, olderThan: Date?, maxBytes: Int64?) throws -> GCReport {
        let actions = try allActions()
        // Every project's states on this cache, and states from before projects were told apart.
        let targetKeys = try allTargetStateKeys()
        // Objects written into a build directory, and the bytes of pinned URLs (inputs, not
        // results: a pin is never evicted), are kept whatever the actions say.
        let pinned = Set(try allMaterialized().map(\.object)).union(try pins().values.map(\.object))
        let scan = try objects.scan()
        let sizes = Dictionary(scan.objects.map { ($0.id, $0.size) }, uniquingKeysWith: { a, _ in a })

        func lastUsed(_ a: ActionRecord) -> Date { a.finishedAt ?? a.createdAt }
        let evictable = actions.values
            .filter { !(keepingActions?.contains($0.key) ?? false) && !targetKeys.contains($0.key) }
            .sorted { (lastUsed($0), $0.key) < (lastUsed($1), $1.key) }
        var drop = Set<String>()
        if keepingActions != nil || olderThan != nil {
            for action in evictable where olderThan.map({ lastUsed(action) < $0 }) ?? true { drop.insert(action.key) }
        }

        // Reference counts of the objects the remaining actions and materialized rows use.
        var references: [ObjectID: Int] = [:]
        for action in actions.values where !drop.contains(action.key) {
            for image in action.images { references[image.object, default: 0] += 1 }
        }
        for id in pinned { references[id, default: 0] += 1 }
        var keptBytes = references.keys.reduce(Int64(0)) { $0 + (sizes[$1] ?? 0) }
        var overBudget = false
        if let maxBytes {
            for action in evictable where keptBytes > maxBytes && !drop.contains(action.key) {
                drop.insert(action.key)
                for image in action.images {
                    references[image.object, default: 1] -= 1
                    if references[image.object] == 0 {
                        references[image.object] = nil
                        keptBytes -= sizes[image.object] ?? 0
                    }
                }
            }
            overBudget = keptBytes > maxBytes
        }

        if !drop.isEmpty { try write { db in try Self.deleteActions(drop, db) } }
        // Re-read what is referenced now, in case a row was added since the first read.
        let referenced = try withDatabase { db in
            var ids = Set<ObjectID>()
            try db.query("SELECT object FROM action_images UNION SELECT object FROM materialized UNION SELECT object FROM url_pins") {
                ids.insert(ObjectID(trusted: $0.text(0)))
            }
            return ids
        }
        var report = GCReport(removedActions: drop.count, removedObjects: 0, removedBytes: 0,
                              remainingObjects: 0, remainingBytes: 0, overBudget: overBudget)
        for entry in scan.objects {
            if referenced.contains(entry.id) {
                report.remainingObjects += 1
                report.remainingBytes += entry.size
            } else {
                try objects.remove(entry.id)
                report.removedObjects += 1
                report.removedBytes += entry.size
            }
        }
        objects.removeTemporaryFiles()
        return report
    }

    package struct MaterializedRow {
        package var buildRoot: String
        package var path: String
        package var object: ObjectID
    }

    /// Materialized rows of every build root.
    package func allMaterialized() throws -> [MaterializedRow] {
        try withDatabase { db in
            var rows: [MaterializedRow] = []
            try db.query("SELECT build_root, path, object FROM materialized ORDER BY build_root, path") { row in
                rows.append(MaterializedRow(buildRoot: row.text(0), path: row.text(1), object: ObjectID(trusted: row.text(2))))
            }
            return rows
        }
    }
}
