import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

// File-digest memo, target states and materialized outputs: each loads in one query, for the
// planner, and each write of several rows is one transaction.

extension BuildCache {
    // MARK: File digests

    /// Every remembered file digest, keyed by path.
    public func fileDigests() throws -> [String: FileDigestRecord] {
        try withDatabase { db in
            var records: [String: FileDigestRecord] = [:]
            try db.query("SELECT path, size, mtime_ns, inode, sha256, format, width, height FROM file_digests") { row in
                let path = row.text(0)
                let format = row.text(5)
                records[path] = FileDigestRecord(path: path, size: row.int64(1), mtimeNs: row.int64(2),
                                                 inode: UInt64(bitPattern: row.int64(3)), sha256: row.text(4),
                                                 format: format.isEmpty ? nil : format,
                                                 width: Int(row.int64(6)), height: Int(row.int64(7)))
            }
            return records
        }
    }

    /// Inserts or replaces the given digests in one transaction; `[]` writes nothing.
    public func recordFileDigests(_ records: [FileDigestRecord]) throws {
        if records.isEmpty { return }
        try write { db in
            for r in records {
                try db.run("""
                    INSERT OR REPLACE INTO file_digests (path, size, mtime_ns, inode, sha256, format, width, height)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                    """,
                           [.text(r.path), .int(r.size), .int(r.mtimeNs), .int(Int64(bitPattern: r.inode)), .text(r.sha256),
                            .text(r.format ?? ""), .int(Int64(r.width)), .int(Int64(r.height))])
            }
        }
    }

    /// Forgets digests of files that are no longer referenced; `[]` writes nothing.
    public func removeFileDigests(paths: [String]) throws {
        if paths.isEmpty { return }
        try write { db in
            for path in paths { try db.run("DELETE FROM file_digests WHERE path = ?1", [.text(path)]) }
        }
    }

    // MARK: Target states

    /// The project of states recorded before schema 4, when one cache could not tell projects apart.
    public static let legacyProject = ""

    /// The last successful state of every target of `project`, keyed by target name; a target the
    /// project never recorded falls back to its state from before schema 4, if any (see
    /// `claimLegacyStates`). `project: nil` reads every row (a cache one project uses: tests,
    /// tools); a name several projects recorded then gives one of them.
    public func targetStates(project: String? = nil) throws -> [String: TargetStateRecord] {
        try withDatabase { db in
            var records: [String: TargetStateRecord] = [:]
            let sql = "SELECT project, target, action_key, components, built_at FROM target_states"
            func read(_ row: SQLiteStatement) {
                let target = row.text(1)
                records[target] = TargetStateRecord(target: target, actionKey: row.text(2), componentsJSON: row.text(3),
                                                    builtAt: Date(timeIntervalSince1970: row.double(4)), project: row.text(0))
            }
            if let project {
                // The project's own rows come last, so they replace a legacy row of the same name.
                try db.query(sql + " WHERE project IN (?1, ?2) ORDER BY project = ?1", [.text(project), .text(Self.legacyProject)], row: read)
            } else {
                try db.query(sql, [], row: read)
            }
            return records
        }
    }

    /// The action keys every project's states name (what `cache gc` must keep).
    package func allTargetStateKeys() throws -> Set<String> {
        try withDatabase { db in
            var keys = Set<String>()
            try db.query("SELECT DISTINCT action_key FROM target_states") { keys.insert($0.text(0)) }
            return keys
        }
    }

    public func recordTargetState(_ record: TargetStateRecord) throws {
        try recordTargetStates([record])
    }

    /// Inserts or replaces several target states (each under its own project) in one transaction;
    /// `[]` writes nothing.
    public func recordTargetStates(_ records: [TargetStateRecord]) throws {
        if records.isEmpty { return }
        try write { db in
            for r in records {
                try db.run("""
                    INSERT OR REPLACE INTO target_states (project, target, action_key, components, built_at) VALUES (?1, ?2, ?3, ?4, ?5)
                    """, [.text(r.project), .text(r.target), .text(r.actionKey), .text(r.componentsJSON),
                          .double(r.builtAt.timeIntervalSince1970)])
            }
        }
    }

    /// Forgets the states of `targets` in `project` only (another project's, or a legacy row, stays).
    public func removeTargetStates(_ targets: [String], project: String = BuildCache.legacyProject) throws {
        if targets.isEmpty { return }
        try write { db in
            for target in targets {
                try db.run("DELETE FROM target_states WHERE project = ?1 AND target = ?2", [.text(project), .text(target)])
            }
        }
    }

    /// Makes legacy states (from before schema 4) `project`'s own where the project's build agrees
    /// with them (same target, same action key): the row moves to the project. A legacy row the
    /// project does not agree with may be another project's; it stays, and keeps its images from gc.
    public func claimLegacyStates(project: String, keys: [String: String]) throws {
        if keys.isEmpty || project == Self.legacyProject { return }
        try write { db in
            for (target, key) in keys {
                let args: [SQLValue] = [.text(project), .text(target), .text(key), .text(Self.legacyProject)]
                try db.run("""
                    INSERT OR IGNORE INTO target_states (project, target, action_key, components, built_at)
                        SELECT ?1, target, action_key, components, built_at FROM target_states
                        WHERE project = ?4 AND target = ?2 AND action_key = ?3
                    """, args)
                try db.run("DELETE FROM target_states WHERE project = ?4 AND target = ?2 AND action_key = ?3", args)
            }
        }
    }

    // MARK: Materialized outputs

    /// What assetbuild wrote into the build directory `buildRoot`, keyed by relative path.
    /// Rows are per build root: one cache may serve several build directories.
    public func materialized(buildRoot: String) throws -> [String: MaterializedRecord] {
        try withDatabase { db in
            var records: [String: MaterializedRecord] = [:]
            try db.query("""
                SELECT path, target, object, size, mtime_ns, inode FROM materialized WHERE build_root = ?1
                """, [.text(buildRoot)]) { row in
                let path = row.text(0)
                records[path] = MaterializedRecord(path: path, target: row.text(1), object: ObjectID(trusted: row.text(2)),
                                                   size: row.int64(3), mtimeNs: row.int64(4),
                                                   inode: UInt64(bitPattern: row.int64(5)))
            }
            return records
        }
    }

    /// Inserts or replaces rows for `buildRoot` in one transaction; `[]` writes nothing.
    public func recordMaterialized(_ records: [MaterializedRecord], buildRoot: String) throws {
        if records.isEmpty { return }
        try write { db in
            for r in records {
                try db.run("""
                    INSERT OR REPLACE INTO materialized (build_root, path, target, object, size, mtime_ns, inode)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                    """, [.text(buildRoot), .text(r.path), .text(r.target), .text(r.object.hex),
                          .int(r.size), .int(r.mtimeNs), .int(Int64(bitPattern: r.inode))])
            }
        }
    }

    public func removeMaterialized(paths: [String], buildRoot: String) throws {
        if paths.isEmpty { return }
        try write { db in
            for path in paths {
                try db.run("DELETE FROM materialized WHERE build_root = ?1 AND path = ?2", [.text(buildRoot), .text(path)])
            }
        }
    }
}
