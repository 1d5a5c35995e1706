import Foundation
import Testing
@testable import AssetBuildCore

/// Issue 14 items 10 and 11 at the cache's level: states per project on a shared cache, states
/// from before schema 4, and what `cache verify` says about an index that lost its rows.
@Suite struct CacheProjectTests {
    static let a = "/work/a/assetbuild.yaml"
    static let b = "/work/b/assetbuild.yaml"

    static func state(_ target: String, _ key: String, _ project: String) -> TargetStateRecord {
        TargetStateRecord(target: target, actionKey: key, componentsJSON: "{}", builtAt: Date(timeIntervalSince1970: 1), project: project)
    }

    @Test func projects_keep_their_own_state_of_a_target_of_the_same_name() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        try cache.recordTargetStates([Self.state("hero", "ka", Self.a), Self.state("hero", "kb", Self.b)])
        #expect(try cache.targetStates(project: Self.a)["hero"]?.actionKey == "ka")
        #expect(try cache.targetStates(project: Self.b)["hero"]?.actionKey == "kb")
        // Removing a target of one project leaves the other's.
        try cache.removeTargetStates(["hero"], project: Self.a)
        #expect(try cache.targetStates(project: Self.a)["hero"] == nil)
        #expect(try cache.targetStates(project: Self.b)["hero"]?.actionKey == "kb")
    }

    @Test func gc_in_one_project_keeps_what_another_project_needs() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        var objects: [String: ObjectID] = [:]
        for (i, key) in ["ka", "kb", "old"].enumerated() {
            try cache.beginAction(key: key, target: "hero", componentsJSON: "{}")
            objects[key] = try cache.storeImage(cacheImageBytes(i), key: key).object
            try cache.finishAction(key: key, status: .complete)
        }
        try cache.recordTargetStates([Self.state("hero", "ka", Self.a), Self.state("hero", "kb", Self.b)])
        // gc as project A runs it: keep A's current targets, drop the unreachable, by age too.
        let report = try cache.collectGarbage(keepingActions: ["ka"], olderThan: Date.distantFuture, maxBytes: nil)
        #expect(report.removedActions == 1)
        #expect(Set(try cache.allActions().keys) == ["ka", "kb"])
        #expect(cache.objects.contains(objects["kb"]!))
        #expect(!cache.objects.contains(objects["old"]!))
    }

    @Test func legacy_states_are_read_as_a_fallback_kept_by_gc_and_claimed_where_a_project_agrees() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        for (i, key) in ["k1", "k2"].enumerated() {
            try cache.beginAction(key: key, target: "t\(i)", componentsJSON: "{}")
            try cache.storeImage(cacheImageBytes(i), key: key)
        }
        try cache.recordTargetStates([Self.state("t1", "k1", BuildCache.legacyProject),
                                      Self.state("t2", "k2", BuildCache.legacyProject)])
        // A project that never recorded these reads the legacy states.
        #expect(try cache.targetStates(project: Self.a).mapValues(\.actionKey) == ["t1": "k1", "t2": "k2"])
        // Its own row wins over a legacy one of the same name.
        try cache.recordTargetState(Self.state("t2", "k2-new", Self.a))
        #expect(try cache.targetStates(project: Self.a)["t2"]?.actionKey == "k2-new")
        // gc keeps the legacy rows' actions even when no project asks for them.
        _ = try cache.collectGarbage(keepingActions: [], olderThan: nil, maxBytes: nil)
        #expect(Set(try cache.allActions().keys) == ["k1", "k2"])

        // Claimed where the project agrees (same key): the row becomes A's; the other stays legacy.
        try cache.claimLegacyStates(project: Self.a, keys: ["t1": "k1", "t2": "k2-new"])
        let all = try cache.targetStates()
        #expect(all["t1"]?.project == Self.a)
        #expect(try cache.targetStates(project: Self.b)["t1"] == nil, "claimed: no longer a fallback for others")
        #expect(try cache.targetStates(project: Self.b)["t2"]?.actionKey == "k2", "not claimed: still everyone's fallback")
    }

    @Test func verify_reports_an_empty_index_over_objects_and_unindexed_objects() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        let listed = try cache.objects.put(cacheImageBytes(1))
        let stray = try cache.objects.put(cacheImageBytes(2))
        let lock = LockFile(targets: ["hero": .init(key: "k", outputs: [(path: "hero.jpeg", sha256: listed.hex)])])

        let problems = try cache.indexProblems(lock: lock)
        #expect(problems.first == .emptyIndex(objects: 2, listedInLock: 1))
        #expect(Set(problems.dropFirst()) == [.unindexedObject(listed, lockedBy: "hero"), .unindexedObject(stray, lockedBy: nil)])
        #expect(problems.map(\.description).contains {
            $0.contains("assetbuild.lock lists it for 'hero': the next build re-indexes it, with no request")
        })

        // Indexed: only the stray one is left to report, and the index is no longer empty.
        try cache.beginAction(key: "k", target: "hero", componentsJSON: "{}")
        try cache.recordImage(actionKey: "k", image: ActionImage(index: 0, object: listed, width: 1, height: 1, byteCount: 1))
        #expect(try cache.indexProblems(lock: lock) == [.unindexedObject(stray, lockedBy: nil)])
    }

    @Test func reading_a_damaged_object_names_it_and_never_returns_its_bytes() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url)
        let id = try cache.objects.put(cacheImageBytes(1))
        let path = cache.objects.path(for: id)
        chmod(path, 0o644)
        let damaged = Data(repeating: 0, count: cacheImageBytes(1).count)
        try damaged.write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: CacheError.self) { try cache.objects.read(id) }
        guard case .corruptObject(let bad, let at, let actual)? = error else {
            Issue.record("expected corruptObject, got \(String(describing: error))")
            return
        }
        #expect(bad == id && at == path && actual == SHA256.hash(damaged).hex)
        #expect(error?.description.contains("is damaged") == true)
    }

    @Test func a_damaged_index_is_a_problem_of_verify_and_the_objects_are_still_checked() throws {
        let dir = try CacheTemporaryDirectory()
        let id: ObjectID
        do { id = try BuildCache.open(directory: dir.url).objects.put(cacheImageBytes(3)) }
        try Data(repeating: 0x42, count: 8192).write(to: dir.url.appendingPathComponent(BuildCache.databaseName))
        let path = dir.path + "/objects/" + id.hex.prefix(2) + "/" + id.hex.dropFirst(2)
        chmod(path, 0o644)
        try Data(repeating: 1, count: 8).write(to: URL(fileURLWithPath: path))
        let problems = try BuildCache.verify(directory: dir.url, lock: LockFile(targets: [:]))
        #expect(problems.count == 2, "\(problems)")
        guard case .damagedIndex(let message)? = problems.first else {
            Issue.record("\(problems)")
            return
        }
        #expect(message.contains("move it aside"))
        #expect(problems.last == .corruptObject(id, actualSHA256: SHA256.hash(Data(repeating: 1, count: 8)).hex))
    }
}
