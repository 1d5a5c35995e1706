import Foundation
import Testing
@testable import AssetBuildCore

/// What a no-op build pays to load the cache at 10,000 targets. Off by default; run with
/// `ASSETBUILD_BENCHMARK=1 swift test --filter CacheBenchmark` and read the printed times.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ASSETBUILD_BENCHMARK"] != nil))
struct CacheBenchmarkTests {
    @Test func bulk_loads_of_10_000_rows() throws {
        let count = 10_000
        let dir = try CacheTemporaryDirectory()
        let keys = (0..<count).map { SHA256.hash("key-\($0)").hex }
        do {
            let cache = try BuildCache.open(directory: dir.url)
            let components = #"{"model":"doubao-seedream-4-5-251128","prompt":"a friendly round robot mascot waving","size":"2048x2048"}"#
            try cache.recordFileDigests((0..<count).map {
                FileDigestRecord(path: "refs/image-\($0).png", size: 123_456, mtimeNs: 1_764_000_000_000_000_000 + Int64($0),
                                 inode: UInt64(1_000_000 + $0), sha256: SHA256.hash("file-\($0)").hex)
            })
            try cache.recordTargetStates((0..<count).map {
                TargetStateRecord(target: "target-\($0)", actionKey: keys[$0], componentsJSON: components, builtAt: Date())
            })
            try cache.recordMaterialized((0..<count).map {
                MaterializedRecord(path: "target-\($0).jpeg", target: "target-\($0)", object: ObjectID(trusted: SHA256.hash("img-\($0)").hex),
                                   size: 456_789, mtimeNs: 1_764_000_000_000_000_000, inode: UInt64($0))
            }, buildRoot: "/project/build")
            // Action rows straight into the index: 10,000 fsynced objects would only slow the setup.
            try cache.write { db in
                for (n, key) in keys.enumerated() {
                    try db.run("INSERT INTO actions (key, target, components, kind, status, model, created_at, finished_at, request_ids, generated_images, output_tokens, total_tokens) VALUES (?1, ?2, ?3, 'images', 'complete', 'm', 1, 2, 'req-1', 1, 16384, 16384)",
                               [.text(key), .text("target-\(n)"), .text(components)])
                    try db.run("INSERT INTO action_images VALUES (?1, 0, ?2, 2048, 2048, 456789)",
                               [.text(key), .text(SHA256.hash("img-\(n)").hex)])
                }
            }
        }

        var best: [String: Duration] = [:]
        func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
            let clock = ContinuousClock()
            let start = clock.now
            let result = try body()
            let elapsed = clock.now - start
            best[name] = min(best[name] ?? elapsed, elapsed)
            return result
        }
        for _ in 0..<5 {
            let cache = try measure("open (existing, no write)") { try BuildCache.open(directory: dir.url) }
            let digests = try measure("fileDigests") { try cache.fileDigests() }
            let states = try measure("targetStates") { try cache.targetStates() }
            let rows = try measure("materialized") { try cache.materialized(buildRoot: "/project/build") }
            let actions = try measure("actions(forKeys: 10k)") { try cache.actions(forKeys: keys) }
            #expect(digests.count == count && states.count == count && rows.count == count && actions.count == count)
            #expect(actions[keys[0]]?.images.count == 1)
            let few = try measure("actions(forKeys: 50)") { try cache.actions(forKeys: keys.prefix(50)) }
            #expect(few.count == 50)
        }
        // A long-lived cache: 30,000 more actions from old builds beside the 10,000 wanted.
        let cache = try BuildCache.open(directory: dir.url)
        try cache.write { db in
            for n in count..<(4 * count) {
                try db.run("INSERT INTO actions (key, target, components, kind, status, created_at) VALUES (?1, 't', '{}', 'images', 'complete', 1)",
                           [.text(SHA256.hash("old-\(n)").hex)])
                try db.run("INSERT INTO action_images VALUES (?1, 0, ?2, 2048, 2048, 456789)",
                           [.text(SHA256.hash("old-\(n)").hex), .text(SHA256.hash("img-\(n)").hex)])
            }
        }
        for _ in 0..<5 {
            let actions = try measure("actions(forKeys: 10k) among 40k") { try cache.actions(forKeys: keys) }
            #expect(actions.count == count)
        }
        for (name, time) in best.sorted(by: { $0.key < $1.key }) {
            print("cache benchmark: \(name): \(time.formatted(.units(allowed: [.milliseconds], fractionalPart: .show(length: 1))))")
        }
    }
}
