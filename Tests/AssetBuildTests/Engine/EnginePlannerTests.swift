import Foundation
import Testing
@testable import AssetBuildCore

/// Why each target runs, restores or stays: the reasons `--explain`, `plan` and `status` print,
/// checked as data, with the requests a build then sends (Ninja's `commands_ran_`).
@Suite("Engine planner reasons")
struct EnginePlannerTests {
    @Test("never built: roots run, their dependents wait for them")
    func neverBuilt() async throws {
        let f = try EngineFixture()
        let plan = try await f.plan()
        #expect(plan["a"]?.status == .run && plan["a"]?.reasons == [.neverBuilt])
        #expect(plan["b"]?.status == .run && plan["b"]?.reasons == [.neverBuilt, .upstreamPending("a")])
        #expect(plan["g"]?.imagesToGenerate == 2)
        let ran = try await f.build()
        #expect(ran.sorted() == ["a", "b", "c", "d", "g"])
        #expect(try await f.build() == [], "a second build sends nothing")
    }

    @Test("prompt changed: the target and its dependents rebuild, each with its reason")
    func promptChanged() async throws {
        let f = try EngineFixture()
        try await f.build()
        try f.edit("alpha", "ALPHA")
        let plan = try await f.plan()
        #expect(plan["a"]?.reasons == [.promptChanged])
        #expect(plan["b"]?.status == .pending)
        #expect(plan["d"]?.status == .upToDate)
        #expect(try await f.build() == ["a", "b", "c"])
        #expect(f.lastDecision("b")! == (.run, [.upstreamRebuilt("a")]))
        #expect(f.lastDecision("c")! == (.run, [.upstreamRebuilt("b")]))
    }

    @Test("a target waiting for a rebuilt upstream still shows its own edit, and will run")
    func ownEditBehindPendingUpstream() async throws {
        let f = try EngineFixture()
        try await f.build()
        try f.edit("alpha", "ALPHA")
        try f.edit("beta from image 1", "beta, brighter, from image 1")
        let plan = try await f.plan()
        #expect(plan["b"]?.status == .run)
        #expect(plan["b"]?.reasons == [.promptChanged, .upstreamPending("a")])
        #expect(plan["c"]?.status == .pending && plan["c"]?.reasons == [.upstreamPending("b")])
    }

    @Test("option changed: which option, old and new value")
    func optionChanged() async throws {
        let f = try EngineFixture()
        try await f.build()
        try f.edit("    prompt: \"alpha\"", "    prompt: \"alpha\"\n    size: 1920x1080")
        #expect(try await f.plan()["a"]?.reasons == [.optionChanged(name: "size", old: "1280x720", new: "1920x1080")])
        try f.edit("    prompt: \"a group of two\"\n    images: 2", "    prompt: \"a group of two\"\n    images: 3")
        #expect(try await f.plan()["g"]?.reasons == [.optionChanged(name: "images", old: "2", new: "3")])
        let ran = try await f.build()
        #expect(ran.sorted() == ["a", "b", "c", "g"])
        #expect(try await f.correctBuildProblems() == [])
    }

    @Test("reference file bytes changed: that target rebuilds; a touch alone changes nothing")
    func referenceChanged() async throws {
        let f = try EngineFixture()
        try await f.build()
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(60)], ofItemAtPath: f.dir.url("refs/in.png"))
        #expect(try await f.plan()["d"]?.status == .upToDate)
        #expect(try await f.build() == [])
        try f.writeReference(color: RGBColor(10, 10, 240))
        #expect(try await f.plan()["d"]?.reasons == [.referenceChanged("refs/in.png")])
        #expect(try await f.build() == ["d"])
    }

    @Test("upstream rebuilt: a dependent planned after its upstream was built alone")
    func upstreamRebuilt() async throws {
        let f = try EngineFixture()
        try await f.build()
        try f.edit("alpha", "ALPHA")
        #expect(try await f.build(["a"]) == ["a"])
        let plan = try await f.plan()
        #expect(plan["b"]?.status == .run && plan["b"]?.reasons == [.upstreamRebuilt("a")])
        #expect(plan["c"]?.status == .pending)
    }

    @Test("an upstream rebuilt to identical bytes stops there (early cutoff)")
    func earlyCutoff() async throws {
        let f = try EngineFixture()
        try await f.build()
        // watermark (on by default) is in the key, but the recording provider's bytes do not depend on it.
        try f.edit("    prompt: \"alpha\"", "    prompt: \"alpha\"\n    watermark: false")
        let ran = try await f.build()
        #expect(ran == ["a"], "\(f.reporter.events)")
        // b was planned as pending; once 'a' came back with the same bytes it is decided up to date.
        #expect(f.lastDecision("b")! == (.upToDate, []))
        #expect(try await f.correctBuildProblems() == [])
    }

    @Test("output missing: restored from the cache; modified by hand: kept until discarded; no request")
    func outputMissingOrModified() async throws {
        let f = try EngineFixture()
        try await f.build()
        try f.dir.remove("build/a.jpeg")
        try f.dir.write("scribble", to: "build/g/2.jpeg")
        let plan = try await f.plan()
        #expect(plan["a"]?.status == .restore && plan["a"]?.reasons == [.outputMissing("a.jpeg")])
        #expect(plan["g"]?.status == .restore && plan["g"]?.reasons == [.outputModified("g/2.jpeg")])
        #expect(plan["b"]?.status == .upToDate)
        // Issue 14 item 13 (this test used to expect the hand edit overwritten): the person's file
        // is kept and the target refused; everything else is restored; nothing is sent.
        await #expect(throws: BuildFailed.self) { try await f.build(keepGoing: true) }
        #expect(f.provider.actionsRan == [])
        #expect(try f.dir.text("build/g/2.jpeg") == "scribble")
        #expect(f.dir.exists("build/a.jpeg"))
        // Discarding it, as the refusal says: delete it, and the next build restores it.
        try f.dir.remove("build/g/2.jpeg")
        #expect(try await f.build() == [])
        #expect(try await f.correctBuildProblems() == [])
    }

    @Test("restored from cache: a reverted edit, explained without blaming the user")
    func restoredFromCache() async throws {
        let f = try EngineFixture()
        try await f.build()
        try f.edit("alpha", "ALPHA")
        try await f.build()
        try f.edit("ALPHA", "alpha")
        let plan = try await f.plan()
        #expect(plan["a"]?.status == .restore && plan["a"]?.reasons == [.promptChanged, .restoredFromCache])
        #expect(try await f.build() == [])
        #expect(f.lastDecision("b")! == (.restore, [.upstreamRebuilt("a"), .restoredFromCache]))
        #expect(try await f.correctBuildProblems() == [])
    }
}

/// À la carte's `correctBuild`: after any build, every recorded key equals a freshly computed one
/// and every output's hash matches its record; and a build right after sends nothing.
@Suite("Engine correctBuild")
struct EngineCorrectBuildTests {
    /// SplitMix64: a small deterministic generator so a failure can be replayed from its seed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("correctBuild holds after every build of a random sequence of edits", arguments: [1, 2, 3] as [UInt64])
    func correctBuildHolds(seed: UInt64) async throws {
        let f = try EngineFixture()
        var rng = SplitMix(state: seed)
        try f.dir.write("the user's own file", to: "build/user/notes.txt")
        var history: [String] = []
        for step in 0..<10 {
            let target = ["a", "b", "c", "d"].randomElement(using: &rng)!
            let word = ["red", "green", "blue"].randomElement(using: &rng)!
            let yaml = try f.dir.text("assetbuild.yaml")
            switch Int.random(in: 0..<7, using: &rng) {
            case 0, 1:   // edit a prompt (sometimes back to an earlier text: a cache hit)
                let marker = "    prompt: \""
                let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                let i = lines.firstIndex(of: "  \(target):")! + 1
                let rest = lines[i].dropFirst(marker.count).split(separator: " ", maxSplits: 1)
                var newLines = lines
                newLines[i] = marker + word + " " + (rest.count > 1 ? String(rest[1]) : String(rest[0]))
                try f.dir.write(newLines.joined(separator: "\n"), to: "assetbuild.yaml")
                history.append("prompt \(target) \(word)")
            case 2:
                try f.writeReference(color: word == "red" ? RGBColor(200, 40, 40) : RGBColor(0, 90, word == "blue" ? 250 : 20))
                history.append("reference \(word)")
            case 3:
                try? f.dir.remove("build/\(target).jpeg")
                history.append("rm \(target)")
            case 4:
                // A hand edit of an output assetbuild wrote; before the first build there is none,
                // and a file of the user's own in its place is refused (MaterializeForeignFileTests).
                guard step > 0 else { history.append("nothing to hand-edit"); break }
                try f.dir.write("hand edit", to: "build/\(target).jpeg")
                history.append("hand-edit \(target)")
            case 5:
                try? f.dir.remove("build")
                try f.dir.write("the user's own file", to: "build/user/notes.txt")
                history.append("rm -rf build")
            default:
                let sizes = ["1280x720", "1920x1080", "1024x1024"]
                let size = sizes.randomElement(using: &rng)!
                let text = yaml.replacingOccurrences(of: #"size: \d+x\d+\}"#, with: "size: \(size)}", options: .regularExpression)
                try f.dir.write(text, to: "assetbuild.yaml")
                history.append("default size \(size)")
            }
            if history.last?.hasPrefix("hand-edit") == true {
                // Issue 14 item 13: the hand edit is kept and its target refused; discarding it
                // (deleting the file, as the refusal says) lets the next build restore it.
                await #expect(throws: BuildFailed.self) { try await f.build(keepGoing: true) }
                #expect(try f.dir.text("build/\(target).jpeg") == "hand edit", "seed \(seed) step \(step)")
                try f.dir.remove("build/\(target).jpeg")
            }
            try await f.build()
            #expect(try await f.correctBuildProblems() == [], "seed \(seed) step \(step): \(history)")
            #expect(try await f.build() == [], "seed \(seed) step \(step): a second build sent requests")
            #expect(try f.dir.text("build/user/notes.txt") == "the user's own file")
        }
    }
}
