import Foundation
import Testing
@testable import AssetBuildCore

/// The command line around builds: failures and --keep-going, usage errors, help, events,
/// graphs, two builds at once, colour.
@Suite("CLI commands")
struct CLICommandTests {
    /// `bad` fails for real at build time: the draft reply of a JSON text target has only a
    /// `text` field, so `${story.title}` cannot be read. `slow` is an independent group big
    /// enough to still be running when `bad` fails; `after-slow` only becomes ready after that.
    static let failingManifest = """
        version: 1
        provider: {name: draft}
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
        targets:
          story:
            kind: text
            prompt: "A short story"
          bad:
            prompt: "Cover for ${story.title}"
          after-bad:
            prompt: "More of image 1"
            references: [bad]
          slow:
            prompt: "Four big independent images"
            size: 4096x4096
            images: 4
          after-slow:
            prompt: "After slow, image 1"
            references: ["slow[1]"]
          free:
            prompt: "independent"
        """

    @Test("-k builds everything independent of a failure, skips its dependents, exits 1")
    func keepGoing() async throws {
        let ws = try CLIWorkspace(manifest: Self.failingManifest)
        let r = try await ws.build(["-k", "--json"])
        #expect(r.status == 1, "\(r)")
        let failed = try r.events(named: "target_failed")
        #expect(failed.compactMap { $0["target"] as? String } == ["bad"])
        #expect((failed.first?["message"] as? String)?.contains("no field 'title'") == true)
        let skipped = try r.events(named: "target_skipped")
        #expect(skipped.compactMap { $0["target"] as? String } == ["after-bad"])
        #expect(skipped.first?["because"] as? String == "upstream 'bad' failed")
        #expect(try r.startedTargets().sorted() == ["after-slow", "free", "slow", "story"])
        #expect(try r.summary("failed") == 1)
        #expect(try r.summary("skipped") == 1)
        #expect(try r.summary("built") == 4)
        for f in ["free.jpeg", "slow/1.jpeg", "slow/4.jpeg", "after-slow.jpeg", "story.json"] { #expect(ws.dir.exists("build/" + f), "\(f)") }
        #expect(!ws.dir.exists("build/bad.jpeg") && !ws.dir.exists("build/after-bad.jpeg"))
        #expect(try ws.record().targets.keys.sorted() == ["after-slow", "free", "slow", "story"])

        // Again, now that `story` is built: the failure is still one target's, decided at plan time.
        let again = try await ws.build(["-k", "--json"])
        #expect(again.status == 1, "\(again)")
        #expect(try again.summary("requests") == 0)
        #expect(try again.summary("up_to_date") == 4)
        #expect(try again.summary("failed") == 1)
        let status = try await ws.run(["status", "--check"])
        #expect(status.status == 1)
        #expect(status.stdout.contains("bad         build: inputs cannot be resolved: the output of 'story' has no field 'title'"), "\(status)")
    }

    @Test("without -k a failure starts nothing new, lets running targets finish, exits 1")
    func stopsAfterFailure() async throws {
        let ws = try CLIWorkspace(manifest: Self.failingManifest)
        let r = try await ws.build(["--json"])
        #expect(r.status == 1, "\(r)")
        #expect(try r.startedTargets().sorted() == ["free", "slow", "story"], "\(r)")
        #expect(ws.dir.exists("build/slow/4.jpeg"), "a running target finishes: its images are paid for")
        let skipped = try r.events(named: "target_skipped").reduce(into: [String: String]()) {
            $0[$1["target"] as? String ?? ""] = $1["because"] as? String
        }
        #expect(skipped == ["after-bad": "upstream 'bad' failed", "after-slow": "the build stopped"])
        let plain = try await ws.build()
        #expect(plain.status == 1)
        #expect(plain.stderr.contains("error: bad: the output of 'story' has no field 'title' (it has 'text')"), "\(plain)")
        #expect(plain.stderr.contains("assetbuild: build failed: 1 target(s) failed"), "\(plain)")
    }

    @Test("usage errors exit 2 and build nothing")
    func usageErrors() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        let lock = try? ws.dir.read("assetbuild.lock")   // absent in a fresh clone: then it must stay absent

        let typo = try await ws.run(["bild"])
        #expect(typo.status == 2, "\(typo)")
        #expect(typo.stderr.contains("'bild'"), "\(typo)")

        let unknown = try await ws.build(["mascott"])
        #expect(unknown.status == 2, "\(unknown)")
        #expect(unknown.stderr.contains("unknown target 'mascott'; did you mean 'mascot'?"), "\(unknown)")

        for bad in [["-j", "0"], ["--budget", "-1"], ["--no-such-option"]] {
            let r = try await ws.build(bad)
            #expect(r.status == 2, "\(bad): \(r)")
        }
        // Drafts cost nothing; with the paid provider the estimate is checked before anything is sent
        // (nothing listens at this address: a request would fail the build with exit 1, not 2).
        #expect(try await ws.build(["--budget", "0.10", "-n"]).status == 0)
        let overBudget = try await ws.build(["--budget", "0.10", "--provider", "ark"],
                                            environment: ["ARK_API_KEY": "k", "ARK_BASE_URL": "http://127.0.0.1:9/api/v3"])
        #expect(overBudget.status == 2, "\(overBudget)")
        #expect(overBudget.stderr.contains("over the budget of $0.10; nothing was sent"), "\(overBudget)")

        try ws.dir.edit("assetbuild.yaml", replacing: "    size: 2048x2048\n\n  poses:", with: "    sise: 2048x2048\n\n  poses:")
        let manifest = try await ws.build()
        #expect(manifest.status == 2, "\(manifest)")
        #expect(manifest.stderr.contains("assetbuild.yaml:29:5: error: unknown key 'sise'; did you mean 'size'?\n    sise: 2048x2048\n    ^"), "\(manifest)")
        let validate = try await ws.run(["validate"])
        #expect(validate.status == 2 && validate.stderr.contains("assetbuild.yaml:29:5: error:"), "\(validate)")

        #expect(!ws.dir.exists("build"), "nothing is built after a usage error")
        #expect((try? ws.dir.read("assetbuild.lock")) == lock)
        #expect(ws.dir.files(under: ".assetbuild/objects").isEmpty)
    }

    @Test("--help of every subcommand exits 0 and lists its options; --version prints the version")
    func help() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        let expected: [[String]: [String]] = [
            []: ["build", "plan", "status", "validate", "graph", "clean", "cache", "Exit status"],
            ["build"]: ["-j, --jobs", "-k, --keep-going", "-n, --dry-run", "--explain", "--json", "--budget", "-B, --force",
                        "-f, --file", "-C, --directory", "--cache-dir", "--build-dir", "--provider"],
            ["plan"]: ["--json", "<targets>", "--provider"],
            ["status"]: ["--check", "--json"],
            ["validate"]: ["-f, --file"],
            ["graph"]: ["--format"],
            ["clean"]: ["--build-dir", "--cache-dir"],
            ["cache"]: ["stats", "gc", "verify"],
            ["cache", "stats"]: ["--cache-dir"],
            ["cache", "gc"]: ["--older-than-days", "--max-size"],
            ["cache", "verify"]: ["--cache-dir"],
        ]
        for (command, options) in expected {
            let r = try await ws.run(command + ["--help"])
            #expect(r.status == 0, "\(command): \(r)")
            #expect(r.stdout.contains("USAGE: assetbuild"), "\(command)")
            for o in options { #expect(r.stdout.contains(o), "\(command) --help lacks '\(o)'") }
        }
        let version = try await ws.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout == AssetBuildVersion.current + "\n")
    }

    @Test("--json prints one event object per line, ending with 'finished'")
    func jsonEvents() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        let r = try await ws.buildOK()
        let events = try r.events()
        #expect(events.count == r.stdout.split(separator: "\n").count)
        for e in events {
            #expect(e["event"] is String)
            #expect(e["time"] is Double || e["time"] is Int)
        }
        let names = events.map { $0["event"] as? String ?? "" }
        #expect(names.first == "planned")
        #expect(names.last == "finished")
        #expect(names.filter { $0 == "finished" }.count == 1)
        let images = try r.events(named: "image_received")
        #expect(images.count == 7)
        #expect(images.allSatisfy { ($0["width"] as? Int ?? 0) > 0 && ($0["index"] as? Int ?? 0) >= 1 })
        #expect(try r.events(named: "target_finished").count == 9)
        let finished = try r.finished()
        #expect(finished["requests"] as? Int == 4)
        #expect(finished["built"] as? Int == 9)
        #expect(finished["interrupted"] as? Bool == false)
        #expect(!r.stderr.contains("{\""), "events go to stdout only")
    }

    @Test("graph prints the edges as DOT and as Mermaid")
    func graph() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        let dot = try await ws.run(["graph"])
        #expect(dot.status == 0)
        for line in ["digraph assetbuild {", "\"mascot\" -> \"poses\";", "\"poses\" -> \"hero\";",
                     "\"refs/product.png\" -> \"hero\";", "\"refs/logo.png\" -> \"launch\";",
                     "\"launch\" -> \"launch.post\";", "\"refs/logo.svg\" -> \"launch-og\";",
                     "\"launch.post\" [label=\"launch.post\\n1080x1080 jpeg\"];",
                     "\"poses\" [label=\"poses\\n4 images\"];", "\"refs/logo.png\" [shape=note];"] {
            #expect(dot.stdout.contains(line), "missing \(line) in\n\(dot.stdout)")
        }
        let mermaid = try await ws.run(["graph", "--format", "mermaid"])
        #expect(mermaid.status == 0)
        #expect(mermaid.stdout.hasPrefix("graph LR\n"))
        // Map node ids back to names, then check the edges by name.
        var names: [String: String] = [:]
        for line in mermaid.stdout.split(separator: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            guard let open = t.firstIndex(where: { $0 == "[" || $0 == ">" }), !t.contains("-->") else { continue }
            let label = t[open...].trimmingCharacters(in: CharacterSet(charactersIn: "[]>\""))
            names[String(t[..<open])] = String(label.split(separator: " (").first ?? "")
        }
        let edges = Set(mermaid.stdout.split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[1] == "-->" else { return nil }
            return "\(names[String(parts[0])] ?? "?") -> \(names[String(parts[2])] ?? "?")"
        })
        #expect(edges.isSuperset(of: ["mascot -> poses", "poses -> hero", "refs/product.png -> hero", "refs/logo.png -> launch",
                                   "launch -> launch-og", "refs/logo.svg -> launch-og"]),
                "\(edges)\n\(mermaid.stdout)")
    }

    @Test("two builds at once on one cache both succeed and leave it sound")
    func concurrentBuilds() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        let a = try startAssetbuild(["build", "--provider", "draft", "--json"], in: ws.path)
        let b = try startAssetbuild(["build", "--provider", "draft", "--json"], in: ws.path)
        let ra = try await a.finish(timeout: .seconds(120))
        let rb = try await b.finish(timeout: .seconds(120))
        #expect(ra.status == 0, "\(ra)")
        #expect(rb.status == 0, "\(rb)")
        #expect(try ra.summary("requests") + rb.summary("requests") == 4, "each image is paid for once")
        let verify = try await ws.run(["cache", "verify"])
        #expect(verify.status == 0 && verify.stdout.contains("cache ok"), "\(verify)")
        let third = try await ws.buildOK()
        #expect(try third.summary("requests") == 0)
        #expect(try third.summary("up_to_date") == 9)
        for (path, _) in brandKitOutputs { #expect(ws.dir.exists("build/" + path)) }
    }

    @Test("a build waits for the cache's lock and names who holds it")
    func waitsForLockHolder() async throws {
        let ws = try CLIWorkspace(example: "brand-kit")
        let cache = try BuildCache.open(directory: URL(fileURLWithPath: ws.dir.url(".assetbuild")))
        let lock = try cache.acquireBuildLock(command: "assetbuild test-holder")
        let child = try startAssetbuild(["build", "--provider", "draft"], in: ws.path)
        let deadline = ContinuousClock.now + .seconds(30)
        let message = "waiting for the build lock held by pid \(getpid()) (assetbuild test-holder, started "
        while !child.stderrSoFar.contains(message), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(child.stderrSoFar.contains(message), "\(child.stderrSoFar)")
        #expect(!ws.dir.exists("build"), "nothing is built while another process holds the lock")
        lock.release()
        let r = try await child.finish(timeout: .seconds(120))
        #expect(r.status == 0, "\(r)")
        #expect(r.requests == 4)
    }

    @Test("piped output and NO_COLOR have no escape codes; a terminal gets colour unless NO_COLOR")
    func noEscapeCodesWhenPipedOrNoColor() async throws {
        let ws = try CLIWorkspace(manifest: Self.failingManifest)
        for env in [["TERM": "xterm-256color"], ["TERM": "xterm-256color", "NO_COLOR": "1"]] {
            let r = try await ws.build(["-k", "--explain"], environment: env)
            #expect(r.status == 1)
            #expect(!r.output.contains("\u{1B}"), "\(env): \(r)")
        }
        try ws.dir.edit("assetbuild.yaml", replacing: "    prompt: \"independent\"", with: "    promt: \"independent\"")
        let diag = try await ws.build([], environment: ["TERM": "xterm-256color"])
        #expect(diag.status == 2 && !diag.output.contains("\u{1B}"), "\(diag)")

        // On a terminal (util-linux `script` gives the child a pty): colour, unless NO_COLOR.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return }
        let binary = try AssetBuildBinary.path()
        let sgr = "\u{1B}\\[[0-9;]*m"
        for (noColor, expectColor) in [("", true), ("1", false)] {
            var env = ["TERM": "xterm-256color"]
            if !noColor.isEmpty { env["NO_COLOR"] = noColor }
            let tty = try await runScript(["-qec", "\(binary) build --provider draft", "/dev/null"], in: ws.path, environment: env)
            #expect(tty.stdout.contains("unknown key 'promt'"), "\(tty)")
            #expect((tty.stdout.range(of: sgr, options: .regularExpression) != nil) == expectColor, "NO_COLOR=\(noColor): \(tty)")
        }
    }

    private func runScript(_ args: [String], in dir: String, environment: [String: String]) async throws -> CLIResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = args
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        process.environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"].merging(environment) { $1 }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: data, as: UTF8.self), stderr: "")
    }
}
