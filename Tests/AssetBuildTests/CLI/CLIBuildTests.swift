import Foundation
import Testing
@testable import AssetBuildCore

/// End-to-end builds of the brand-kit example with the real binary and the draft provider: what
/// is built, what is left alone, what is restored from the cache, and what is written.
@Suite("CLI builds")
struct CLIBuildTests {
    @Test("the brand-kit example builds every output at the exact size asked, recorded with its sha256")
    func brandKitBuilds() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        let r = try await ws.buildOK()
        #expect(try r.summary("built") == 9)
        #expect(try r.summary("requests") == 4)
        #expect(try r.summary("images_generated") == 7)

        #expect(ws.dir.files(under: "build") == (Array(brandKitOutputs.keys) + ["assetbuild.json"]).sorted())
        for (path, size) in brandKitOutputs {
            let info = try ImageProbe.probe(try ws.dir.read("build/" + path))
            #expect(info.format == size.format, "\(path)")
            #expect(info.width == size.width && info.height == size.height, "\(path): \(info.width)x\(info.height)")
        }

        // The record, read as plain JSON: the contract is the file format, not our struct.
        let json = try JSONSerialization.jsonObject(with: try ws.dir.read("build/assetbuild.json")) as? [String: Any]
        let targets = try #require(json?["targets"] as? [String: [String: Any]])
        #expect(targets.keys.sorted() == brandKitTargets)
        var recorded: [String] = []
        for (name, entry) in targets {
            #expect((entry["action_key"] as? String)?.count == 64, "\(name)")
            #expect(entry["provider"] as? String == (brandKitGenerated.contains(name) ? "draft" : "local"), "\(name)")
            for o in entry["outputs"] as? [[String: Any]] ?? [] {
                let path = try #require(o["path"] as? String)
                recorded.append(path)
                #expect(o["sha256"] as? String == (try ws.dir.sha256("build/" + path)), "\(path)")
                #expect(o["width"] as? Int == brandKitOutputs[path]?.width, "\(path)")
                #expect(o["height"] as? Int == brandKitOutputs[path]?.height, "\(path)")
            }
        }
        #expect(recorded.sorted() == brandKitOutputs.keys.sorted())

        // assetbuild.lock: the same keys and hashes, beside the manifest.
        let lock = try ws.dir.text("assetbuild.lock")
        let record = try ws.record()
        for (name, entry) in record.targets {
            #expect(lock.contains("  \(name):\n    key: \(entry.actionKey)\n"), "\(name) in\n\(lock)")
            for o in entry.outputs { #expect(lock.contains("- path: \(o.path)\n        sha256: \(o.sha256)\n")) }
        }
    }

    @Test("a second build is a no-op: no request, and nothing written")
    func secondBuildIsNoOp() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        try await ws.buildOK()
        let before = ws.writeStamps()
        #expect(before["build/assetbuild.json"] != nil && before[".assetbuild/cache.db"] != nil)
        let r = try await ws.buildOK()
        #expect(try r.summary("requests") == 0)
        #expect(try r.summary("up_to_date") == 9)
        #expect(try r.startedTargets().isEmpty)
        #expect(ws.writeStamps() == before)

        let plain = try await ws.build()
        #expect(plain.status == 0)
        #expect(plain.stderr.contains("all 9 target(s) up to date"), "\(plain)")
        #expect(ws.writeStamps() == before)
    }

    @Test("editing one prompt rebuilds exactly that target and its dependents, and says why")
    func editedPromptRebuildsDependents() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        try await ws.buildOK()
        try ws.dir.edit("assetbuild.yaml", replacing: "waving", with: "jumping")
        let r = try await ws.build(["--explain"])
        #expect(r.status == 0, "\(r)")
        let built = r.stderr.split(separator: "\n").filter { $0.hasPrefix("build ") }.map { $0.split(separator: " ")[1] }
        #expect(built == ["mascot", "poses", "hero", "hero.thumb"], "\(r)")
        #expect(r.requests == 3)
        #expect(r.stderr.contains("explain: mascot: build: prompt changed"), "\(r)")
        #expect(r.stderr.contains("explain: poses: build: upstream 'mascot' rebuilt"), "\(r)")
        #expect(r.stderr.contains("explain: hero: build: upstream 'poses' rebuilt"), "\(r)")
        #expect(r.stderr.contains("explain: hero.thumb: build: source image 1 changed"), "\(r)")
        #expect(!r.stderr.contains("launch"), "\(r)")

        // A leaf: only itself.
        try ws.dir.edit("assetbuild.yaml", replacing: "on a sunny desk", with: "on a rainy desk")
        let leaf = try await ws.buildOK()
        #expect(try leaf.startedTargets() == ["hero", "hero.thumb"])
        #expect(try leaf.summary("requests") == 1)
        #expect(try leaf.reasons(for: "hero") == ["prompt changed"])
    }

    @Test("reverting an edit restores the earlier outputs from the cache with no request")
    func revertRestoresFromCache() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        try await ws.buildOK()
        let original = try ws.outputHashes()
        try ws.dir.edit("assetbuild.yaml", replacing: "waving", with: "jumping")
        try await ws.buildOK()
        #expect(try ws.outputHashes() != original)
        try ws.dir.edit("assetbuild.yaml", replacing: "jumping", with: "waving")
        let r = try await ws.buildOK()
        #expect(try r.summary("requests") == 0)
        #expect(try r.events(named: "target_restored").compactMap { $0["target"] as? String }.sorted() == ["hero", "hero.thumb", "mascot", "poses"])
        #expect(try r.reasons(for: "mascot") == ["prompt changed", "restored from cache"])
        #expect(try ws.outputHashes() == original)
    }

    @Test("after rm -rf build, the next build restores every file with no request")
    func deletedBuildDirectoryIsRestored() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        try await ws.buildOK()
        let original = try ws.outputHashes()
        let record = try ws.dir.read("build/assetbuild.json")
        try ws.dir.remove("build")
        let r = try await ws.buildOK()
        #expect(try r.summary("requests") == 0)
        #expect(try r.summary("restored") == 9)
        #expect(try ws.outputHashes() == original)
        #expect(try ws.dir.read("build/assetbuild.json") == record)
    }

    @Test("an output edited by hand is reported by status, kept by build, and restored once discarded")
    func handEditedOutput() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        try await ws.buildOK()
        let good = try ws.dir.sha256("build/mascot.jpeg")
        try ws.dir.write("not an image any more", to: "build/mascot.jpeg")

        let status = try await ws.run(["status", "--provider", "draft"])
        #expect(status.status == 0, "\(status)")
        let line = status.stdout.split(separator: "\n").first { $0.hasPrefix("mascot ") } ?? ""
        #expect(line.contains("output 'mascot.jpeg' modified by hand"), "\(status)")
        #expect(status.stdout.split(separator: "\n").filter { $0.contains("up to date") }.count == 8, "\(status)")
        #expect(try await ws.run(["status", "--check", "--provider", "draft"]).status == 1)

        // Issue 14 item 13 (this test used to expect the edit overwritten): the build keeps the
        // person's file and refuses the target, sending nothing.
        let refused = try await ws.build(["--json"])
        #expect(refused.status == 1, "\(refused)")
        #expect(try refused.summary("requests") == 0)
        #expect(refused.output.contains("was changed by hand since assetbuild wrote it"), "\(refused)")
        #expect(try ws.dir.text("build/mascot.jpeg") == "not an image any more")

        // Discarded as the message says (deleted): restored from the cache.
        try ws.dir.remove("build/mascot.jpeg")
        let r = try await ws.buildOK()
        #expect(try r.summary("requests") == 0)
        #expect(try r.summary("restored") == 1)
        #expect(try ws.dir.sha256("build/mascot.jpeg") == good)
        #expect(try await ws.run(["status", "--check", "--provider", "draft"]).status == 0)
    }

    @Test("a target removed from the manifest loses its outputs; files the user put in build/ stay")
    func removedTargetOutputsAreDeleted() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        try await ws.buildOK()
        try ws.dir.write("my notes", to: "build/notes.txt")
        try ws.dir.write("my own picture", to: "build/social/mine.jpeg")
        let manifest = try ws.dir.text("assetbuild.yaml")
        let cut = try #require(manifest.range(of: "  launch-og:"))
        try ws.dir.write(String(manifest[..<cut.lowerBound]), to: "assetbuild.yaml")

        let r = try await ws.buildOK()
        #expect(try r.summary("requests") == 0)
        #expect(try r.events(named: "output_removed").compactMap { $0["path"] as? String } == ["social/launch-og.jpeg"])
        #expect(!ws.dir.exists("build/social/launch-og.jpeg"))
        #expect(try ws.dir.text("build/notes.txt") == "my notes")
        #expect(try ws.dir.text("build/social/mine.jpeg") == "my own picture")
        #expect(ws.dir.exists("build/social/launch.post.jpeg"))
        #expect(try ws.record().targets["launch-og"] == nil)
        #expect(!(try ws.dir.text("assetbuild.lock")).contains("launch-og"))
    }

    @Test("changed reference bytes rebuild the target; touching the file does not")
    func referenceFileChanges() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        try await ws.buildOK()
        let product = ws.dir.url("refs/product.png")
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(120)], ofItemAtPath: product)
        let touched = try await ws.buildOK()
        #expect(try touched.startedTargets().isEmpty)
        #expect(try touched.summary("requests") == 0)

        try ws.dir.write(try PNGCodec.encode(RGBImage(width: 64, height: 64, color: RGBColor(10, 200, 30))), to: "refs/product.png")
        let changed = try await ws.buildOK()
        #expect(try changed.startedTargets() == ["hero", "hero.thumb"])
        #expect(try changed.reasons(for: "hero") == ["reference 'refs/product.png' changed"])
    }

    @Test("-n sends nothing and writes nothing; plan prints images, requests and cost")
    func dryRunAndPlan() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        let lock = try? ws.dir.read("assetbuild.lock")   // absent in a fresh clone: then it must stay absent
        let dry = try await ws.build(["-n"])
        #expect(dry.status == 0, "\(dry)")
        #expect(dry.stderr.contains("explain: mascot: build: never built"), "\(dry)")
        #expect(dry.requests == 0)
        #expect(!ws.dir.exists("build"))
        #expect((try? ws.dir.read("assetbuild.lock")) == lock)

        let plan = try await ws.run(["plan", "--provider", "draft"])
        #expect(plan.status == 0, "\(plan)")
        #expect(plan.stdout.contains("mascot        build: never built  [1 image]"), "\(plan)")
        #expect(plan.stdout.contains("4 request(s), up to 7 image(s) to generate, 5 made locally at no cost, estimated $0.28"), "\(plan)")
        #expect(plan.stdout.contains("doubao-seedream-4-5-251128: 7 image(s), $0.28"), "\(plan)")
        #expect(try await ws.run(["status", "--check", "--provider", "draft"]).status == 1)

        try await ws.buildOK()
        #expect(try await ws.run(["status", "--check", "--provider", "draft"]).status == 0)
        let upToDate = try await ws.run(["plan", "--provider", "draft"])
        #expect(upToDate.stdout.contains("all 9 target(s) up to date; nothing to do"), "\(upToDate)")

        try ws.dir.edit("assetbuild.yaml", replacing: "waving", with: "jumping")
        let before = ws.writeStamps()
        let staleDry = try await ws.build(["--dry-run", "--json"])
        #expect(staleDry.status == 0)
        #expect(try staleDry.startedTargets().isEmpty)
        #expect(try staleDry.summary("requests") == 0)
        #expect(ws.writeStamps() == before)
        #expect(try await ws.run(["status", "--check", "--provider", "draft"]).status == 1)
        let stalePlan = try await ws.run(["plan", "--provider", "draft"])
        #expect(stalePlan.stdout.contains("3 request(s), up to 6 image(s) to generate, 1 made locally at no cost, estimated $0.24"), "\(stalePlan)")
    }

    @Test("clean removes outputs but keeps the cache; the next build restores with no request")
    func cleanKeepsCache() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        try await ws.buildOK()
        let original = try ws.outputHashes()
        try ws.dir.write("mine", to: "build/keep.txt")
        let clean = try await ws.run(["clean"])
        #expect(clean.status == 0, "\(clean)")
        #expect(clean.stdout.contains("removed 12 output file(s)"), "\(clean)")
        #expect(ws.dir.files(under: "build") == ["keep.txt"])
        #expect(!ws.dir.files(under: ".assetbuild/objects").isEmpty)

        let r = try await ws.buildOK()
        #expect(try r.summary("requests") == 0)
        #expect(try r.summary("restored") == 9)
        #expect(try ws.outputHashes().filter { $0.key != "keep.txt" } == original)
    }
}
