import Foundation
import AssetBuildSupport
import AssetBuildPlan
import AssetBuildRemote

extension PlanReport {
    /// Marks the stale targets whose result the remote cache holds as restored from it ("in the
    /// remote cache, $0"): one HEAD per stale key, a few at a time, asked only when a remote is
    /// configured. A target waiting for its upstream has no key yet and is not asked about.
    package mutating func markRemoteHits(_ remote: RemoteCache?, forced: Set<String>) async {
        guard let remote else { return }
        let asked = targets.indices.filter { i in
            let p = targets[i]
            return p.status == .run && p.requests > 0 && p.fingerprint != nil && !forced.contains(p.target)
        }
        guard !asked.isEmpty else { return }
        var warnings: [String] = []
        let keys = asked.map { targets[$0].fingerprint!.key }
        var hits = Set<Int>()
        await withTaskGroup(of: (Int, Bool, [String]).self) { group in
            var next = 0
            func add() {
                guard next < keys.count else { return }
                let n = next, key = keys[n]
                next += 1
                group.addTask {
                    var said: [String] = []
                    let hit = await remote.has(key: key) { said.append($0) } == true
                    return (n, hit, said)
                }
            }
            for _ in 0..<8 { add() }
            for await (n, hit, said) in group {
                if hit { hits.insert(asked[n]) }
                warnings += said
                add()
            }
        }
        for i in hits {
            targets[i].status = .restore
            targets[i].reasons.append(.inRemoteCache)
            targets[i].imagesToGenerate = 0
            targets[i].requests = 0
            targets[i].estimatedCost = 0
        }
        remoteWarnings += warnings
    }
}
