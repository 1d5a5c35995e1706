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
