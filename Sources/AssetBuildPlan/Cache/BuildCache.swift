import Foundation
import Synchronization
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// The build cache: a SQLite index (`cache.db`, WAL) over a content-addressed object store
/// (`objects/`), plus the build lock (`lock`).
///
/// Durability: every write is its own short `BEGIN IMMEDIATE` transaction (never one per build),
/// and an image's object is fsynced before its row is recorded, so `kill -9` at any point loses
/// at most what was in flight. `synchronous=NORMAL` is enough for the index: a WAL commit survives
/// a process crash, and only an OS crash can roll back the last commits, never corrupt the file.
///
/// Reading writes nothing: opening checks `PRAGMA user_version` and runs DDL only when it differs.
/// The planner loads everything it needs with one bulk query per table.
///
/// Concurrency: one connection behind a `Mutex` (SQLite serializes writers anyway). Two processes
/// on one cache are safe through WAL and a busy timeout; builds also take the build lock.
///
/// A corrupt `cache.db` is reported (`CacheError.corruptDatabase`), not deleted automatically:
/// it is the only record of which paid images belong to which action.
public final class BuildCache: Sendable {
    public let directory: URL
    public let objects: ObjectStore
    /// Set when opening found an index of another schema version and recreated it.
    public let previousSchemaVersion: Int?
    package let databasePath: String
    package let connection: Mutex<SQLiteConnection>
    /// The wall-clock date of records (an action's start and end, a pin's download).
    package let now: @Sendable () -> Date

    public static let databaseName = "cache.db"
    /// The no-op stamp of the last full build (`NoopStamp`), which vouches for this index.
    public static let noopStampName = "noop-stamp"

    /// Opens (creating if needed) the cache in `directory`.
    /// - Parameter busyTimeout: how long a write waits for another process's transaction.
    /// - Parameter clock: dates the records (`wallNow()`) and the build lock's holder.
    public static func open(directory: URL, busyTimeout: Duration = .seconds(10),
                            clock: any BuildClock = SystemClock()) throws -> BuildCache {
        try BuildCache(directory: directory, busyTimeout: busyTimeout, now: { clock.wallNow() })
    }

    package init(directory: URL, busyTimeout: Duration, now: @escaping @Sendable () -> Date) throws {
        self.directory = directory
        self.now = now
        objects = try ObjectStore(directory: directory.appendingPathComponent("objects"))
        databasePath = directory.appendingPathComponent(Self.databaseName).path
        let milliseconds = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        let db = try SQLiteConnection(path: databasePath, busyTimeoutMilliseconds: Int32(clamping: milliseconds))
        try db.execute("PRAGMA synchronous = NORMAL")
        previousSchemaVersion = try Self.prepareSchema(db, busyTimeout: busyTimeout) {
            // A new index (the old one lost, truncated or of another version) knows nothing yet: the
            // no-op stamp of the last full build must not skip the build that rebuilds it.
            unlink(directory.appendingPathComponent(Self.noopStampName).path)
        }
        connection = Mutex(db)
    }

    /// Creates the schema unless `user_version` already matches; returns the replaced version.
    private static func prepareSchema(_ db: SQLiteConnection, busyTimeout: Duration, created: () -> Void) throws -> Int? {
        if try db.scalarInt("PRAGMA user_version") == Schema.version { return nil }
        // Persistent, and only allowed outside a transaction. SQLite answers BUSY at once, without
        // the busy handler, while another process holds the new file (two builds starting on a
        // fresh cache): wait for it as the busy timeout would.
        let deadline = ContinuousClock.now + busyTimeout
        while true {
            do {
                try db.execute("PRAGMA journal_mode = WAL")
                break
            } catch CacheError.busy where ContinuousClock.now < deadline {
                usleep(5_000)
            }
        }
        return try db.transaction {
            let found = try db.scalarInt("PRAGMA user_version")
            if found == Schema.version { return nil }  // another process just created it
            // An older schema with a path forward: migrate, keeping every record.
            if found > 0, found < Int(Schema.version),
               (Int32(found)..<Schema.version).allSatisfy({ Schema.migrations[$0] != nil }) {
                for step in Int32(found)..<Schema.version {
                    for statement in Schema.migrations[step]! { try db.execute(statement) }
                }
                try db.execute("PRAGMA user_version = \(Schema.version)")
                return nil
            }
            var tables: [String] = []
            try db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") {
                tables.append($0.text(0))
            }
            for table in tables {
                try db.execute("DROP TABLE IF EXISTS \"\(table.replacingOccurrences(of: "\"", with: "\"\""))\"")
            }
            for statement in Schema.statements { try db.execute(statement) }
            try db.execute("PRAGMA user_version = \(Schema.version)")
            created()
            return tables.isEmpty && found == 0 ? nil : Int(found)
        }
    }

    /// Runs `body` with the connection, serialized with every other use.
    package func withDatabase<T: Sendable>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try connection.withLock { db throws -> T in try body(db) }
    }

    package func write<T: Sendable>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try withDatabase { db in try db.transaction { try body(db) } }
    }

    /// Takes the build lock (`<cache>/lock`) if it is free; a held lock throws
    /// `CacheError.lockHeld` naming the holder. To wait for it, use the async form.
    public func acquireBuildLock(command: String) throws -> BuildLock {
        try BuildLock.acquire(path: directory.appendingPathComponent("lock").path, cacheDirectory: directory.path,
                              command: command, now: now)
    }

    /// Takes the build lock (`<cache>/lock`). Without `wait`, a held lock throws
    /// `CacheError.lockHeld` naming the holder; with it, `onWait` hears who holds it (see
    /// `LockHolder.waitingMessage`) and the call waits, polling through `clock` rather than
    /// blocking a thread: cancelling the task (Ctrl-C) ends the wait at once with `CancellationError`.
    public func acquireBuildLock(command: String, wait: Bool, clock: any BuildClock,
                                 poll: Duration = .milliseconds(100),
                                 onWait: (LockHolder) -> Void = { _ in }) async throws -> BuildLock {
        try await BuildLock.acquire(path: directory.appendingPathComponent("lock").path, cacheDirectory: directory.path,
                                    command: command, wait: wait, clock: clock, poll: poll, onWait: onWait)
    }
}

// MARK: - Actions

extension BuildCache {
    /// The records of the given action keys that exist. Two queries whatever the count: a few
    /// keys are looked up by primary key; many are filtered from one scan of the index (at
    /// 10,000 keys a scan is ~10× faster than an `IN` list of them, see CacheBenchmarkTests).
    public func actions(forKeys keys: some Collection<String>) throws -> [String: ActionRecord] {
        if keys.isEmpty { return [:] }
        let wanted = Set(keys)
        return try withDatabase { db in
            try db.readTransaction {
                if wanted.count > Self.lookupLimit { return try Self.loadActions(db, matching: wanted) }
                var records: [String: ActionRecord] = [:]
                for key in wanted { try records.merge(Self.loadActions(db, key: key)) { a, _ in a } }
                return records
            }
        }
    }

    /// Up to this many keys are looked up one by one; more are filtered from a scan.
    package static let lookupLimit = 64

    /// Every action (maintenance only: GC and verify).
    package func allActions() throws -> [String: ActionRecord] {
        try withDatabase { db in try db.readTransaction { try Self.loadActions(db, matching: nil) } }
    }

    private static let actionColumns = """
        SELECT a.key, a.target, a.components, a.kind, a.status, a.model, a.created_at, a.finished_at,
               a.request_ids, a.generated_images, a.output_tokens, a.total_tokens,
               i.idx, i.object, i.width, i.height, i.byte_count
        FROM actions a LEFT JOIN action_images i ON i.action_key = a.key
        """

    private static func loadActions(_ db: SQLiteConnection, key: String) throws -> [String: ActionRecord] {
        var records: [String: ActionRecord] = [:]
        try readActionRows(db, actionColumns + " WHERE a.key = ?1 ORDER BY i.idx", [.text(key)], into: &records, wanted: nil)
        if records.isEmpty { return records }
        try readFailureRows(db, "SELECT action_key, idx, code, message FROM action_failures WHERE action_key = ?1 ORDER BY idx",
                            [.text(key)], into: &records)
        return records
    }

    /// All actions, or those in `wanted`, from one scan of actions ⋈ images and one of failures.
    private static func loadActions(_ db: SQLiteConnection, matching wanted: Set<String>?) throws -> [String: ActionRecord] {
        var records: [String: ActionRecord] = [:]
        records.reserveCapacity(wanted?.count ?? 0)
        try readActionRows(db, actionColumns + " ORDER BY a.key, i.idx", [], into: &records, wanted: wanted)
        try readFailureRows(db, "SELECT action_key, idx, code, message FROM action_failures ORDER BY action_key, idx",
                            [], into: &records)
        return records
    }

    /// Rows arrive grouped by key (one per image, or one with NULL image columns).
    private static func readActionRows(_ db: SQLiteConnection, _ sql: String, _ values: [SQLValue],
                                       into records: inout [String: ActionRecord], wanted: Set<String>?) throws {
        var current: ActionRecord?
        try db.query(sql, values) { row in
            let key = row.text(0)
            if current?.key != key {
                if let done = current { records[done.key] = done }
                current = nil
                if let wanted, !wanted.contains(key) { return }
                current = ActionRecord(
                    key: key, target: row.text(1), componentsJSON: row.text(2),
                    kind: ActionKind(rawValue: row.text(3)) ?? .images,
                    status: ActionStatus(rawValue: row.text(4)) ?? .failed,
                    images: [], failures: [],
                    usage: row.optionalInt(9).map {
                        Usage(generatedImages: $0, outputTokens: row.optionalInt(10) ?? 0, totalTokens: row.optionalInt(11) ?? 0)
                    },
                    requestIDs: row.optionalText(8).map { $0.split(separator: "\n").map(String.init) } ?? [],
                    model: row.optionalText(5),
                    createdAt: Date(timeIntervalSince1970: row.double(6)),
                    finishedAt: row.optionalDouble(7).map(Date.init(timeIntervalSince1970:)))
            }
            guard current != nil, !row.isNull(12) else { return }
            current!.images.append(ActionImage(index: row.int(12), object: ObjectID(trusted: row.text(13)),
                                               width: row.int(14), height: row.int(15), byteCount: row.int(16)))
        }
        if let done = current { records[done.key] = done }
    }

    private static func readFailureRows(_ db: SQLiteConnection, _ sql: String, _ values: [SQLValue],
                                        into records: inout [String: ActionRecord]) throws {
        try db.query(sql, values) { row in
            records[row.text(0)]?.failures.append(ImageFailure(index: row.int(1), code: row.text(2), message: row.text(3)))
        }
    }

    /// Starts (or restarts) an action: inserts it with status `running` if absent. On an existing
    /// key it sets `running` again and clears the previous attempt's failures, keeping the images
    /// already recorded (they were paid for) and the request history.
    public func beginAction(key: String, target: String, componentsJSON: String, kind: ActionKind = .images) throws {
        let time = now().timeIntervalSince1970
        try write { db in
            try db.run("""
                INSERT INTO actions (key, target, components, kind, status, created_at) VALUES (?1, ?2, ?3, ?4, 'running', ?5)
                ON CONFLICT (key) DO UPDATE SET status = 'running', finished_at = NULL,
                    target = excluded.target, components = excluded.components, kind = excluded.kind
                """, [.text(key), .text(target), .text(componentsJSON), .text(kind.rawValue), .double(time)])
            try db.run("DELETE FROM action_failures WHERE action_key = ?1", [.text(key)])
        }
    }

    /// Records one output in its own transaction. The object must already be in the store (put
    /// first, then record, then report). Replaces an output at the same index and clears a
    /// failure recorded there.
    public func recordImage(actionKey: String, image: ActionImage) throws {
        guard objects.contains(image.object) else {
            throw CacheError.missingObject(image.object, path: objects.path(for: image.object))
        }
        try write { db in
            let inserted = try db.run("""
                INSERT OR REPLACE INTO action_images (action_key, idx, object, width, height, byte_count)
                SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM actions WHERE key = ?1)
                """, [.text(actionKey), .int(image.index), .text(image.object.hex),
                      .int(image.width), .int(image.height), .int(image.byteCount)])
            if inserted == 0 { throw CacheError.unknownAction(key: actionKey) }
            try db.run("DELETE FROM action_failures WHERE action_key = ?1 AND idx = ?2", [.text(actionKey), .int(image.index)])
        }
    }

    /// Stores a text target's output as an object and records it as output 0 of the action
    /// (begun with `kind: .text`). Read it back with `objects.read(record.textObject!)`.
    @discardableResult
    public func recordText(actionKey: String, content: String) throws -> ObjectID {
        let data = Data(content.utf8)
        let id = try objects.put(data)
        try recordImage(actionKey: actionKey, image: ActionImage(index: 0, object: id, width: 0, height: 0, byteCount: data.count))
        return id
    }

    public func recordFailure(actionKey: String, failure: ImageFailure) throws {
        try write { db in
            let inserted = try db.run("""
                INSERT OR REPLACE INTO action_failures (action_key, idx, code, message)
                SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM actions WHERE key = ?1)
                """, [.text(actionKey), .int(failure.index), .text(failure.code), .text(failure.message)])
            if inserted == 0 { throw CacheError.unknownAction(key: actionKey) }
        }
    }

    /// Records one request sent for the action: its id, usage (summed with earlier requests')
    /// and the model the service named.
    public func recordRequest(actionKey: String, requestID: String?, usage: Usage?, model: String?) throws {
        let id = requestID.map { $0.replacingOccurrences(of: "\n", with: " ") }
        try write { db in
            let updated = try db.run("""
                UPDATE actions SET
                    request_ids = CASE WHEN ?2 IS NULL THEN request_ids
                                       WHEN request_ids IS NULL THEN ?2
                                       ELSE request_ids || char(10) || ?2 END,
                    model = coalesce(?3, model),
                    generated_images = CASE WHEN ?4 IS NULL THEN generated_images ELSE coalesce(generated_images, 0) + ?4 END,
                    output_tokens = CASE WHEN ?4 IS NULL THEN output_tokens ELSE coalesce(output_tokens, 0) + ?5 END,
                    total_tokens = CASE WHEN ?4 IS NULL THEN total_tokens ELSE coalesce(total_tokens, 0) + ?6 END
                WHERE key = ?1
                """, [.text(actionKey), .optionalText(id), .optionalText(model),
                      usage.map { .int($0.generatedImages) } ?? .null,
                      usage.map { .int($0.outputTokens) } ?? .null,
                      usage.map { .int($0.totalTokens) } ?? .null])
            if updated == 0 { throw CacheError.unknownAction(key: actionKey) }
        }
    }

    public func finishAction(key: String, status: ActionStatus) throws {
        let time = now().timeIntervalSince1970
        try write { db in
            let updated = try db.run("UPDATE actions SET status = ?2, finished_at = ?3 WHERE key = ?1",
                                     [.text(key), .text(status.rawValue), .double(time)])
            if updated == 0 { throw CacheError.unknownAction(key: key) }
        }
    }

    /// Forgets outputs whose objects were found missing or damaged, and marks the action
    /// interrupted, so the next build asks for those places only (the other images are kept).
    public func forgetLostImages(actionKey: String, indices: [Int]) throws {
        try write { db in
            for index in indices {
                try db.run("DELETE FROM action_images WHERE action_key = ?1 AND idx = ?2", [.text(actionKey), .int(index)])
            }
            try db.run("UPDATE actions SET status = 'running' WHERE key = ?1", [.text(actionKey)])
        }
    }

    /// Deletes an action and everything recorded for it (its objects stay until GC).
    public func forgetAction(key: String) throws {
        try write { db in try Self.deleteActions([key], db) }
    }

    package static func deleteActions(_ keys: some Sequence<String>, _ db: SQLiteConnection) throws {
        for key in keys {
            for table in ["action_images", "action_failures"] {
                try db.run("DELETE FROM \(table) WHERE action_key = ?1", [.text(key)])
            }
            try db.run("DELETE FROM actions WHERE key = ?1", [.text(key)])
        }
    }
}
