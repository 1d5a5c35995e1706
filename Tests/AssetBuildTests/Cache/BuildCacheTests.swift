import Foundation
import Testing
@testable import AssetBuildCore

@Suite struct BuildCacheTests {
    @Test func open_creates_the_directory_database_and_object_store() throws {
        let dir = try CacheTemporaryDirectory()
        let cacheDir = dir.url.appendingPathComponent("nested/.assetbuild")

        let cache = try BuildCache.open(directory: cacheDir)

        #expect(cache.directory == cacheDir)
        #expect(cache.previousSchemaVersion == nil)
        #expect(FileManager.default.fileExists(atPath: cacheDir.path + "/cache.db"))
        #expect(FileManager.default.fileExists(atPath: cacheDir.path + "/objects/tmp"))
        let mode = try cache.withDatabase { db in
            var mode = ""
            try db.query("PRAGMA journal_mode") { mode = $0.text(0) }
            return mode
        }
        #expect(mode == "wal")
    }

    @Test func action_round_trip_with_images_failures_requests_and_usage() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        try cache.beginAction(key: "k1", target: "poses", componentsJSON: #"{"prompt":"p"}"#)

        let second = try cache.storeImage(cacheImageBytes(2), key: "k1", index: 1, width: 2048, height: 1024)
        let first = try cache.storeImage(cacheImageBytes(1), key: "k1", index: 0, width: 2048, height: 2048)
        try cache.recordFailure(actionKey: "k1", failure: ImageFailure(index: 3, code: "OutputImageSensitiveContentDetected", message: "no"))
        try cache.recordRequest(actionKey: "k1", requestID: "req-1", usage: Usage(generatedImages: 2, outputTokens: 100, totalTokens: 100), model: "doubao-seedream-4-5-251128")
        try cache.recordRequest(actionKey: "k1", requestID: nil, usage: Usage(generatedImages: 1, outputTokens: 50, totalTokens: 60), model: nil)
        try cache.recordRequest(actionKey: "k1", requestID: "req-3", usage: nil, model: nil)
        try cache.finishAction(key: "k1", status: .partial)

        let record = try #require(try cache.actions(forKeys: ["k1", "absent"])["k1"])
        #expect(record.target == "poses")
        #expect(record.componentsJSON == #"{"prompt":"p"}"#)
        #expect(record.kind == .images)
        #expect(record.status == .partial)
        #expect(record.images == [first, second])
        #expect(record.failures == [ImageFailure(index: 3, code: "OutputImageSensitiveContentDetected", message: "no")])
        #expect(record.usage == Usage(generatedImages: 3, outputTokens: 150, totalTokens: 160))
        #expect(record.requestIDs == ["req-1", "req-3"])
        #expect(record.model == "doubao-seedream-4-5-251128")
        #expect(record.finishedAt != nil)
        #expect(record.finishedAt! >= record.createdAt)
        #expect(try cache.objects.read(record.images[1].object) == cacheImageBytes(2))
    }

    @Test func beginning_an_existing_action_keeps_its_images_and_clears_old_failures() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        try cache.beginAction(key: "k", target: "t", componentsJSON: "{}")
        let kept = try cache.storeImage(cacheImageBytes(1), key: "k", index: 0)
        try cache.recordFailure(actionKey: "k", failure: ImageFailure(index: 1, code: "InternalError", message: "x"))
        // No finishAction: the build was killed; the next build resumes the same key.

        let interrupted = try #require(try cache.actions(forKeys: ["k"])["k"])
        #expect(interrupted.status == .running)

        try cache.beginAction(key: "k", target: "t", componentsJSON: "{}")
        let resumed = try #require(try cache.actions(forKeys: ["k"])["k"])
        #expect(resumed.images == [kept])
        #expect(resumed.failures.isEmpty)
        #expect(resumed.createdAt == interrupted.createdAt)

        try cache.recordFailure(actionKey: "k", failure: ImageFailure(index: 1, code: "InternalError", message: "x"))
        let fixed = try cache.storeImage(cacheImageBytes(2), key: "k", index: 1)
        let final = try #require(try cache.actions(forKeys: ["k"])["k"])
        #expect(final.images == [kept, fixed])
        #expect(final.failures.isEmpty)  // an image at the index supersedes its failure
    }

    @Test func text_actions_store_their_output_as_an_object() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        try cache.beginAction(key: "story", target: "story", componentsJSON: "{}", kind: .text)
        let json = #"{"title":"The robot","scenes":["a","b"]}"#

        let id = try cache.recordText(actionKey: "story", content: json)
        try cache.finishAction(key: "story", status: .complete)

        let record = try #require(try cache.actions(forKeys: ["story"])["story"])
        #expect(record.kind == .text)
        #expect(record.textObject == id)
        #expect(String(decoding: try cache.objects.read(id), as: UTF8.self) == json)
    }

    @Test func records_for_an_unknown_action_are_refused() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        let id = try cache.objects.put(cacheImageBytes(1))
        let image = ActionImage(index: 0, object: id, width: 1, height: 1, byteCount: 1)

        #expect(throws: CacheError.self) { try cache.recordImage(actionKey: "nope", image: image) }
        #expect(throws: CacheError.self) { try cache.recordFailure(actionKey: "nope", failure: ImageFailure(index: 0, code: "c", message: "m")) }
        #expect(throws: CacheError.self) { try cache.recordRequest(actionKey: "nope", requestID: "r", usage: nil, model: nil) }
        #expect(throws: CacheError.self) { try cache.finishAction(key: "nope", status: .complete) }
        #expect(try cache.actions(forKeys: ["nope"]).isEmpty)
    }

    @Test func an_image_must_be_in_the_object_store_before_it_is_recorded() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        try cache.beginAction(key: "k", target: "t", componentsJSON: "{}")
        let absent = ObjectID(digest: SHA256.hash(Data("not stored".utf8)))

        let error = #expect(throws: CacheError.self) {
            try cache.recordImage(actionKey: "k", image: ActionImage(index: 0, object: absent, width: 1, height: 1, byteCount: 1))
        }
        #expect(error?.description.contains(absent.hex) == true)
    }

    @Test func forget_action_removes_every_row_of_it() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        for key in ["a", "b"] {
            try cache.beginAction(key: key, target: key, componentsJSON: "{}")
            try cache.storeImage(cacheImageBytes(key.hashValue & 0xFF), key: key)
            try cache.recordFailure(actionKey: key, failure: ImageFailure(index: 1, code: "c", message: "m"))
            try cache.recordRequest(actionKey: key, requestID: "r-\(key)", usage: nil, model: nil)
        }

        try cache.forgetAction(key: "a")

        #expect(Array(try cache.actions(forKeys: ["a", "b"]).keys) == ["b"])
        let leftovers = try cache.withDatabase { db in
            try db.scalarInt("SELECT (SELECT count(*) FROM action_images WHERE action_key = 'a') + (SELECT count(*) FROM action_failures WHERE action_key = 'a')")
        }
        #expect(leftovers == 0)
    }

    @Test func file_digests_round_trip_in_bulk() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        let records = (0..<500).map {
            FileDigestRecord(path: "refs/\($0).png", size: Int64($0 * 100), mtimeNs: 1_700_000_000_123_456_789 + Int64($0),
                             inode: UInt64.max - UInt64($0), sha256: SHA256.hash("\($0)").hex)
        }
        try cache.recordFileDigests(records)
        try cache.recordFileDigests([])
        var changed = records[7]
        changed.size = 1
        try cache.recordFileDigests([changed])

        let loaded = try cache.fileDigests()
        #expect(loaded.count == 500)
        #expect(loaded["refs/7.png"] == changed)
        #expect(loaded["refs/499.png"] == records[499])  // inode above Int64.max survives

        try cache.removeFileDigests(paths: ["refs/0.png"])
        #expect(try cache.fileDigests().count == 499)
    }

    @Test func target_states_round_trip() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        let date = Date(timeIntervalSince1970: 1_764_000_000.123456)
        let mascot = TargetStateRecord(target: "mascot", actionKey: "k1", componentsJSON: #"{"a":1}"#, builtAt: date)
        try cache.recordTargetState(mascot)
        try cache.recordTargetStates([TargetStateRecord(target: "hero", actionKey: "k2", componentsJSON: "{}", builtAt: date),
                                      TargetStateRecord(target: "poses", actionKey: "k3", componentsJSON: "{}", builtAt: date)])
        try cache.recordTargetState(TargetStateRecord(target: "hero", actionKey: "k4", componentsJSON: "{}", builtAt: date))

        let states = try cache.targetStates()
        #expect(states.count == 3)
        #expect(states["mascot"] == mascot)
        #expect(states["hero"]?.actionKey == "k4")

        try cache.removeTargetStates(["hero", "poses"])
        #expect(Array(try cache.targetStates().keys) == ["mascot"])
    }

    @Test func materialized_rows_are_kept_per_build_root() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        let id = try cache.objects.put(cacheImageBytes(1))
        let a = MaterializedRecord(path: "mascot.jpeg", target: "mascot", object: id, size: 73, mtimeNs: 5, inode: 9)
        let b = MaterializedRecord(path: "poses/1.jpeg", target: "poses", object: id, size: 73, mtimeNs: 6, inode: 10)
        try cache.recordMaterialized([a, b], buildRoot: "/p/build")
        try cache.recordMaterialized([a], buildRoot: "/q/build")

        #expect(try cache.materialized(buildRoot: "/p/build") == ["mascot.jpeg": a, "poses/1.jpeg": b])
        #expect(try cache.materialized(buildRoot: "/q/build") == ["mascot.jpeg": a])

        try cache.removeMaterialized(paths: ["mascot.jpeg"], buildRoot: "/p/build")
        #expect(try cache.materialized(buildRoot: "/p/build") == ["poses/1.jpeg": b])
        #expect(try cache.materialized(buildRoot: "/q/build").count == 1)
    }

    @Test func images_recorded_from_200_concurrent_tasks_all_land() async throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        for group in 0..<10 { try cache.beginAction(key: "k\(group)", target: "t\(group)", componentsJSON: "{}") }

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for n in 0..<200 {
                tasks.addTask { try cache.storeImage(cacheImageBytes(n), key: "k\(n % 10)", index: n / 10) }
            }
            try await tasks.waitForAll()
        }

        let actions = try cache.actions(forKeys: (0..<10).map { "k\($0)" })
        #expect(actions.count == 10)
        for (key, action) in actions {
            #expect(action.images.map(\.index) == Array(0..<20), "\(key)")
        }
        #expect(try cache.stats().imageCount == 200)
        #expect(try cache.stats().objectCount == 200)
        #expect(dir.files(under: "objects/tmp").isEmpty)
    }

    @Test func many_keys_load_by_scan_with_the_same_result_as_lookups() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        let count = BuildCache.lookupLimit * 2
        for n in 0..<count {
            try cache.beginAction(key: "k\(n)", target: "t\(n)", componentsJSON: "{\"n\":\(n)}")
            if n % 3 != 0 { try cache.storeImage(cacheImageBytes(n), key: "k\(n)", index: 0) }
            if n % 3 == 2 { try cache.storeImage(cacheImageBytes(n + 1000), key: "k\(n)", index: 1) }
            if n % 5 == 0 { try cache.recordFailure(actionKey: "k\(n)", failure: ImageFailure(index: 2, code: "c\(n)", message: "m")) }
            if n % 2 == 0 {
                try cache.recordRequest(actionKey: "k\(n)", requestID: "r\(n)", usage: Usage(generatedImages: 1, outputTokens: 2, totalTokens: 3), model: "m")
            }
        }
        let wanted = (0..<count).filter { $0 % 4 != 3 }.map { "k\($0)" } + ["absent-1", "absent-2"]
        #expect(wanted.count > BuildCache.lookupLimit)

        let scanned = try cache.actions(forKeys: wanted)

        #expect(scanned.count == wanted.count - 2)
        #expect(scanned["k3"] == nil)
        for key in wanted.prefix(20) {
            #expect(scanned[key] == (try cache.actions(forKeys: [key])[key]))
        }
        #expect(scanned["k8"]?.images.map(\.index) == [0, 1])
        #expect(scanned["k0"]?.images == [])
        #expect(scanned["k10"]?.failures.map(\.code) == ["c10"])
        #expect(scanned["k10"]?.requestIDs == ["r10"])
        #expect(scanned["k1"]?.usage == nil)
        #expect(try cache.allActions().count == count)
    }

    @Test func a_write_blocked_past_the_busy_timeout_names_the_likely_cause() throws {
        let dir = try CacheTemporaryDirectory()
        let holder = try BuildCache.open(directory: dir.url)
        let blocked = try BuildCache(directory: dir.url, busyTimeout: .milliseconds(50), now: { Date() })
        try holder.withDatabase { try $0.execute("BEGIN IMMEDIATE") }
        defer { try? holder.withDatabase { try $0.execute("ROLLBACK") } }

        let error = #expect(throws: CacheError.self) {
            try blocked.beginAction(key: "k", target: "t", componentsJSON: "{}")
        }

        #expect(error?.description.contains("another assetbuild may be using this cache") == true)
        #expect(try blocked.targetStates().isEmpty)  // WAL: reads go on while another writes
    }

    @Test func a_second_open_of_the_same_cache_sees_committed_rows() throws {
        let dir = try CacheTemporaryDirectory()
        let writer = try BuildCache.open(directory: dir.url)
        let reader = try BuildCache.open(directory: dir.url)
        #expect(try reader.actions(forKeys: ["k"]).isEmpty)

        try writer.beginAction(key: "k", target: "t", componentsJSON: "{}")
        let image = try writer.storeImage(cacheImageBytes(1), key: "k")
        try reader.recordTargetState(TargetStateRecord(target: "t", actionKey: "k", componentsJSON: "{}", builtAt: Date()))

        #expect(try reader.actions(forKeys: ["k"])["k"]?.images == [image])
        #expect(try writer.targetStates()["t"]?.actionKey == "k")
    }

    @Test func reopening_an_unchanged_cache_writes_nothing() throws {
        let dir = try CacheTemporaryDirectory()
        do {
            let cache = try BuildCache.open(directory: dir.url)
            try cache.beginAction(key: "k", target: "t", componentsJSON: "{}")
            try cache.storeImage(cacheImageBytes(1), key: "k")
            try cache.recordTargetState(TargetStateRecord(target: "t", actionKey: "k", componentsJSON: "{}", builtAt: Date()))
        }  // closing the last connection checkpoints the WAL into cache.db
        let dbPath = dir.path + "/cache.db"
        let before = try Data(contentsOf: URL(fileURLWithPath: dbPath))

        let cache = try BuildCache.open(directory: dir.url)
        _ = try cache.fileDigests()
        _ = try cache.targetStates()
        _ = try cache.materialized(buildRoot: "/b")
        _ = try cache.actions(forKeys: ["k"])

        let walSize = (try? FileManager.default.attributesOfItem(atPath: dbPath + "-wal")[.size] as? Int) ?? 0
        #expect(walSize == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dbPath)) == before)
        #expect(cache.previousSchemaVersion == nil)
    }

    /// `target_states` as schema versions 1 to 3 had it (one row per target name).
    static let targetStatesBeforeProjects = """
        CREATE TABLE target_states (
            target     TEXT NOT NULL PRIMARY KEY,
            action_key TEXT NOT NULL,
            components TEXT NOT NULL,
            built_at   REAL NOT NULL
        ) WITHOUT ROWID
        """

    @Test(arguments: [Int32(1), 2, 3])
    func an_older_schema_is_migrated_keeping_every_action(from version: Int32) throws {
        let dir = try CacheTemporaryDirectory()
        let id: ObjectID
        do {
            let cache = try BuildCache.open(directory: dir.url)
            try cache.beginAction(key: "k", target: "t", componentsJSON: "{}")
            id = try cache.storeImage(cacheImageBytes(1), key: "k").object
            try cache.finishAction(key: "k", status: .complete)
            try cache.recordFileDigests([FileDigestRecord(path: "/r.png", size: 1, mtimeNs: 2, inode: 3, sha256: "ab",
                                                          format: "png", width: 4, height: 5)])
            // Back to what that version had.
            try cache.withDatabase { db in
                try db.execute("DROP TABLE target_states")
                try db.execute(Self.targetStatesBeforeProjects)
                try db.execute("INSERT INTO target_states VALUES ('t', 'k', '{}', 0)")
                if version < 3 { try db.execute("DROP TABLE url_pins") }
                if version == 1 {
                    for column in ["format", "width", "height"] { try db.execute("ALTER TABLE file_digests DROP COLUMN \(column)") }
                }
                try db.execute("PRAGMA user_version = \(version)")
            }
        }
        let cache = try BuildCache.open(directory: dir.url)
        #expect(cache.previousSchemaVersion == nil, "migrated, not recreated")
        #expect(try cache.actions(forKeys: ["k"])["k"]?.images.map(\.object) == [id], "what was paid for is still known")
        #expect(try cache.withDatabase { try $0.scalarInt("PRAGMA user_version") } == Int64(Schema.version))
        // The state is kept, under no project: any project reads it until it claims its own.
        let state = try #require(try cache.targetStates(project: "/p/assetbuild.yaml")["t"])
        #expect(state.actionKey == "k" && state.project == BuildCache.legacyProject)
        let digest = try #require(try cache.fileDigests()["/r.png"])
        #expect(digest.sha256 == "ab")
        #expect(digest.format == (version == 1 ? nil : "png"), "a v1 row has no format: it is hashed again on use")
        try cache.recordPin(PinRecord(url: "https://example.com/a.png", object: id, format: .jpeg, width: 1, height: 1, byteCount: 1))
        #expect(try cache.pins().keys.sorted() == ["https://example.com/a.png"])
    }

    @Test func another_schema_version_recreates_the_index_and_keeps_objects() throws {
        let dir = try CacheTemporaryDirectory()
        let id: ObjectID
        do {
            let cache = try BuildCache.open(directory: dir.url)
            try cache.beginAction(key: "k", target: "t", componentsJSON: "{}")
            id = try cache.storeImage(cacheImageBytes(1), key: "k").object
            try cache.withDatabase { db in
                try db.execute("CREATE TABLE legacy_rules (x)")
                try db.execute("PRAGMA user_version = 99")
            }
        }

        let cache = try BuildCache.open(directory: dir.url)

        #expect(cache.previousSchemaVersion == 99)
        #expect(try cache.actions(forKeys: ["k"]).isEmpty)
        #expect(cache.objects.contains(id))
        let tables = try cache.withDatabase { db in
            try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'legacy_rules'")
        }
        #expect(tables == 0)
        #expect(try cache.withDatabase { try $0.scalarInt("PRAGMA user_version") } == Int64(Schema.version))
        // And the recreated index works.
        try cache.beginAction(key: "k", target: "t", componentsJSON: "{}")
        try cache.recordImage(actionKey: "k", image: ActionImage(index: 0, object: id, width: 1, height: 1, byteCount: 1))
        #expect(try BuildCache.open(directory: dir.url).previousSchemaVersion == nil)
    }

    @Test func a_corrupt_database_is_reported_with_what_to_do() throws {
        let dir = try CacheTemporaryDirectory()
        try Data(repeating: 0x42, count: 8192).write(to: dir.url.appendingPathComponent("cache.db"))

        let error = #expect(throws: CacheError.self) { try BuildCache.open(directory: dir.url) }

        let message = error?.description ?? ""
        #expect(message.contains("corrupt"))
        // Issue 14 item 10: moved aside, not deleted (deleting it lost what `.recover` could save).
        #expect(message.contains("move it aside (mv '\(dir.path)/cache.db' '\(dir.path)/cache.db.damaged')"))
        #expect(message.contains("rebuilds the index from assetbuild.lock and the objects"))
        #expect(!message.contains("delete"))
    }

    @Test func busy_errors_carry_the_hint() {
        #expect(CacheError.busy(path: "/x/cache.db").description
            == "/x/cache.db: the database is locked; another assetbuild may be using this cache")
    }

    @Test func stats_count_objects_actions_and_rows() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        try cache.beginAction(key: "a", target: "a", componentsJSON: "{}")
        try cache.storeImage(cacheImageBytes(1, size: 1000), key: "a")
        try cache.finishAction(key: "a", status: .complete)
        try cache.beginAction(key: "b", target: "b", componentsJSON: "{}")
        try cache.storeImage(cacheImageBytes(2, size: 1000), key: "b", index: 0)
        try cache.storeImage(cacheImageBytes(1, size: 1000), key: "b", index: 1)  // same bytes as a's: one object

        let stats = try cache.stats()

        #expect(stats.objectCount == 2)
        #expect(stats.objectBytes == Int64(cacheImageBytes(1, size: 1000).count + cacheImageBytes(2, size: 1000).count))
        #expect(stats.actionsByStatus == [.complete: 1, .running: 1])
        #expect(stats.imageCount == 3)
        #expect(stats.databaseBytes > 0)
    }
}
