import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

@Suite struct CacheMaintenanceTests {
    /// A cache whose clock the test sets.
    final class Clock: Sendable {
        let time = Mutex(Date(timeIntervalSince1970: 1_000_000))
        func set(_ seconds: Double) { time.withLock { $0 = Date(timeIntervalSince1970: seconds) } }
    }

    func openCache(_ dir: CacheTemporaryDirectory, clock: Clock = Clock()) throws -> BuildCache {
        try BuildCache(directory: dir.url, busyTimeout: .seconds(5), now: { clock.time.withLock { $0 } })
    }

    @Test func gc_keeps_kept_target_and_materialized_objects_and_deletes_the_rest() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try openCache(dir)
        for key in ["kept", "current", "shown", "stale"] {
            try cache.beginAction(key: key, target: key, componentsJSON: "{}")
        }
        let kept = try cache.storeImage(cacheImageBytes(1), key: "kept").object
        let current = try cache.storeImage(cacheImageBytes(2), key: "current").object
        let shown = try cache.storeImage(cacheImageBytes(3), key: "shown").object
        let stale = try cache.storeImage(cacheImageBytes(4), key: "stale").object
        let shared = try cache.storeImage(cacheImageBytes(5), key: "stale", index: 1).object
        try cache.storeImage(cacheImageBytes(5), key: "kept", index: 1)
        let orphan = try cache.objects.put(cacheImageBytes(6))
        try cache.recordTargetState(TargetStateRecord(target: "current", actionKey: "current", componentsJSON: "{}", builtAt: Date()))
        try cache.recordMaterialized([MaterializedRecord(path: "shown.jpeg", target: "shown", object: shown, size: 1, mtimeNs: 1, inode: 1)],
                                     buildRoot: "/other/build")
        _ = FileManager.default.createFile(atPath: dir.path + "/objects/tmp/123-dead", contents: Data("partial".utf8))

        let report = try cache.collectGarbage(keepingActions: ["kept"], olderThan: nil, maxBytes: nil)

        #expect(report.removedActions == 2)  // shown and stale
        #expect(report.removedObjects == 2)  // stale and orphan
        #expect(report.remainingObjects == 4)
        #expect(report.removedBytes == Int64(cacheImageBytes(4).count + cacheImageBytes(6).count))
        for id in [kept, current, shown, shared] { #expect(cache.objects.contains(id)) }
        for id in [stale, orphan] { #expect(!cache.objects.contains(id)) }
        #expect(Set(try cache.actions(forKeys: ["kept", "current", "shown", "stale"]).keys) == ["kept", "current"])
        #expect(dir.files(under: "objects/tmp").isEmpty)
        #expect(try cache.verify().isEmpty)
    }

    @Test func gc_without_criteria_only_removes_unreferenced_objects() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try openCache(dir)
        try cache.beginAction(key: "a", target: "a", componentsJSON: "{}")
        let used = try cache.storeImage(cacheImageBytes(1), key: "a").object
        let orphan = try cache.objects.put(cacheImageBytes(2))

        let report = try cache.collectGarbage(keepingActions: nil, olderThan: nil, maxBytes: nil)

        #expect(report.removedActions == 0)
        #expect(cache.objects.contains(used))
        #expect(!cache.objects.contains(orphan))
    }

    @Test func gc_never_removes_the_bytes_of_a_pinned_url() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try openCache(dir)
        let pinned = try cache.objects.put(cacheImageBytes(1))
        try cache.recordPin(PinRecord(url: "https://example.com/a.png", object: pinned, format: .jpeg,
                                      width: 1, height: 1, byteCount: 1))
        let orphan = try cache.objects.put(cacheImageBytes(2))
        _ = try cache.collectGarbage(keepingActions: [], olderThan: nil, maxBytes: 0)
        #expect(cache.objects.contains(pinned))
        #expect(!cache.objects.contains(orphan))
    }

    @Test func gc_by_age_removes_actions_last_used_before_the_date() throws {
        let dir = try CacheTemporaryDirectory()
        let clock = Clock()
        let cache = try openCache(dir, clock: clock)
        clock.set(1_000)
        try cache.beginAction(key: "old", target: "old", componentsJSON: "{}")
        let old = try cache.storeImage(cacheImageBytes(1), key: "old").object
        try cache.finishAction(key: "old", status: .complete)
        clock.set(5_000)
        try cache.beginAction(key: "new", target: "new", componentsJSON: "{}")
        let new = try cache.storeImage(cacheImageBytes(2), key: "new").object
        try cache.finishAction(key: "new", status: .complete)

        let report = try cache.collectGarbage(keepingActions: nil, olderThan: Date(timeIntervalSince1970: 3_000), maxBytes: nil)

        #expect(report.removedActions == 1)
        #expect(!cache.objects.contains(old))
        #expect(cache.objects.contains(new))
    }

    @Test func gc_to_a_size_evicts_least_recently_used_first_but_never_materialized() throws {
        let dir = try CacheTemporaryDirectory()
        let clock = Clock()
        let cache = try openCache(dir, clock: clock)
        var ids: [ObjectID] = []
        for n in 0..<4 {
            clock.set(Double(1_000 + n))
            try cache.beginAction(key: "a\(n)", target: "t\(n)", componentsJSON: "{}")
            ids.append(try cache.storeImage(cacheImageBytes(n, size: 1000), key: "a\(n)").object)
            try cache.finishAction(key: "a\(n)", status: .complete)
        }
        // The oldest is still on disk in a build directory.
        try cache.recordMaterialized([MaterializedRecord(path: "t0.jpeg", target: "t0", object: ids[0], size: 1, mtimeNs: 1, inode: 1)],
                                     buildRoot: "/b")
        let each = Int64(cacheImageBytes(0, size: 1000).count)

        let report = try cache.collectGarbage(keepingActions: nil, olderThan: nil, maxBytes: 2 * each)

        #expect(report.removedActions == 3)  // a0 is evicted as an action, but its object stays
        #expect(report.remainingBytes <= 2 * each)
        #expect(!report.overBudget)
        #expect(cache.objects.contains(ids[0]))
        #expect(!cache.objects.contains(ids[1]))
        #expect(!cache.objects.contains(ids[2]))
        #expect(cache.objects.contains(ids[3]))

        let tight = try cache.collectGarbage(keepingActions: nil, olderThan: nil, maxBytes: 1)
        #expect(tight.overBudget)
        #expect(cache.objects.contains(ids[0]))
    }

    @Test func verify_reports_corrupt_and_missing_objects() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try openCache(dir)
        try cache.beginAction(key: "k", target: "t", componentsJSON: "{}")
        let good = try cache.storeImage(cacheImageBytes(1), key: "k", index: 0).object
        let tampered = try cache.storeImage(cacheImageBytes(2), key: "k", index: 1).object
        let lost = try cache.storeImage(cacheImageBytes(3), key: "k", index: 2).object
        try cache.recordMaterialized([MaterializedRecord(path: "x.jpeg", target: "t", object: lost, size: 1, mtimeNs: 1, inode: 1)],
                                     buildRoot: "/b")
        #expect(try cache.verify().isEmpty)

        let path = cache.objects.path(for: tampered)
        chmod(path, 0o644)
        try Data("not the image".utf8).write(to: URL(fileURLWithPath: path))
        try cache.objects.remove(lost)
        _ = FileManager.default.createFile(atPath: dir.path + "/objects/zz", contents: Data())

        let problems = try cache.verify()

        #expect(problems.count == 4)
        #expect(problems.contains(.corruptObject(tampered, actualSHA256: SHA256.hash(Data("not the image".utf8)).hex)))
        #expect(problems.contains(.missingObject(lost, actionKey: "k")))
        #expect(problems.contains(.missingMaterializedObject(lost, buildRoot: "/b", path: "x.jpeg")))
        #expect(problems.contains(.strayFile(path: dir.path + "/objects/zz")))
        #expect(!problems.contains { $0.description.contains(good.hex) })
    }
}
