import Foundation
import Testing
@testable import AssetBuildCore

/// Golden files for what people read: the full output of `plan`, `status`, `build --explain` and
/// every `--help`, in swift-argument-parser's snapshot manner, so a change in wording is a
/// reviewed diff. The expected text lives in `Tests/AssetBuildTests/Fixtures/cli/`:
///   - `help/<command words joined by '-'>.txt`: `assetbuild --help`, `assetbuild cache gc --help`, …
///     Every subcommand is found from the SUBCOMMANDS sections of the help itself, so a new
///     subcommand gets a golden (the first run records it and fails once) and a removed one leaves
///     a stale file that `every_help_golden_belongs_to_a_command` reports.
///   - `session/NN-<step>.txt`: one small manifest built with the offline draft provider (no
///     network): plan before any build, `build --explain`, status after, then a prompt edit and
///     plan, status and `build --explain` again showing the reasons.
/// Each file holds the command line, the exit status, stdout and stderr.
///
/// To regenerate after an intended change in wording:
///     swift build --build-tests && RECORD_SNAPSHOTS=1 swift test --skip-build --filter CLIGoldenTests
/// then review `git diff Tests/AssetBuildTests/Fixtures/cli` and run again without the variable.
///
/// Normalized (and nothing else), because it differs from run to run and means nothing here:
///   - the temporary workspace directory (`<workspace>`): each run gets a new one;
///   - the elapsed time at the end of the summary line (`in 0.4s` → `in <elapsed>`): wall clock.
/// Help is rendered at 80 columns (COLUMNS=80, and stdout is a file, not a terminal) so the
/// wrapping does not depend on who runs the tests.
@Suite("CLI golden output")
struct CLIGoldenTests {
    static let goldens = ManifestSnapshot.fixtures.deletingLastPathComponent().appendingPathComponent("cli")

    /// A chain, so that one target is in flight at a time and the order of the lines is fixed:
    /// two targets ready together may start in either order (even with -j 1), which a golden
    /// cannot pin. The edit changes the middle target's prompt, so the session shows all three
    /// states: up to date (`logo`), prompt changed (`banner`), waiting for upstream (`icons`).
    static let manifest = """
        version: 1
        provider: {name: draft}
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
        targets:
          logo:
            prompt: "A round teal logo on a white background"
          banner:
            prompt: "A wide banner with the logo from image 1"
            references: [logo]
            size: 2560x1440
          icons:
            prompt: "Two small app icons in the style of image 1"
            references: [banner]
            images: 2
        """

    /// The environment of every run: the runner's clean one, plus a fixed width for help.
    static let environment = ["COLUMNS": "80"]

    @Test("plan, build --explain and status, before and after a prompt edit")
    func session() async throws {
        let ws = try CLIWorkspace(manifest: Self.manifest)
        try await golden(ws, ["plan"], "01-plan-before-build")
        try await golden(ws, ["status"], "02-status-before-build")
        try await golden(ws, ["build", "--explain"], "03-build-explain")
        try await golden(ws, ["status"], "04-status-after-build")
        try await golden(ws, ["plan"], "05-plan-after-build")
        try await golden(ws, ["build", "--explain"], "06-build-explain-up-to-date")

        try ws.dir.edit("assetbuild.yaml", replacing: "A wide banner", with: "A tall banner")
        try await golden(ws, ["plan"], "07-plan-after-prompt-edit")
        try await golden(ws, ["status"], "08-status-after-prompt-edit")
        try await golden(ws, ["status", "--check"], "09-status-check-after-prompt-edit")
        try await golden(ws, ["build", "--explain"], "10-build-explain-after-prompt-edit")
        try await golden(ws, ["status"], "11-status-after-rebuild")
    }

    /// Variants and derived targets, as plan, status and --explain say them: made locally, no
    /// request, and a variant edit that derives one file again. A chain again, for a fixed order.
    static let derivedManifest = """
        version: 1
        provider: {name: draft}
        defaults: {model: doubao-seedream-4-0-250828, size: 1280x720}
        targets:
          logo:
            prompt: "A round teal logo on a white background"
            variants:
              sq: {size: 64x64, format: webp, quality: 80}
          card:
            from: logo.sq
            size: 64x32
            format: png
        """

    @Test("plan, build --explain and status with a variant and a derived target, before and after a variant edit")
    func derivedSession() async throws {
        let ws = try CLIWorkspace(manifest: Self.derivedManifest)
        try await golden(ws, ["plan"], "01-plan-before-build", folder: "derived")
        try await golden(ws, ["build", "--explain"], "02-build-explain", folder: "derived")
        try await golden(ws, ["status"], "03-status-after-build", folder: "derived")
        try ws.dir.edit("assetbuild.yaml", replacing: "quality: 80", with: "quality: 60")
        try await golden(ws, ["plan"], "04-plan-after-variant-edit", folder: "derived")
        try await golden(ws, ["build", "--explain"], "05-build-explain-after-variant-edit", folder: "derived")
        try await golden(ws, ["status"], "06-status-after-rebuild", folder: "derived")
    }

    @Test("every --help, nested subcommands included")
    func help() async throws {
        let dir = try TestDirectory("cli-help")
        let commands = try await Self.allCommands(in: dir.path)
        #expect(commands.contains(["cache", "gc"]), "the walk found \(commands)")
        for words in commands {
            let r = try await assetbuild(words + ["--help"], in: dir.path, environment: Self.environment)
            try ManifestSnapshot.assert(Self.render(["assetbuild"] + words + ["--help"], r, workspace: dir.path),
                                        golden: Self.helpGolden(words))
        }
    }

    @Test("every help golden belongs to a command that still exists")
    func every_help_golden_belongs_to_a_command() async throws {
        let dir = try TestDirectory("cli-help")
        let expected = Set(try await Self.allCommands(in: dir.path).map { Self.helpGolden($0).lastPathComponent })
        let onDisk = Set((try? FileManager.default.contentsOfDirectory(atPath: Self.goldens.appendingPathComponent("help").path)) ?? [])
        #expect(onDisk.subtracting(expected).isEmpty, "stale help goldens: \(onDisk.subtracting(expected).sorted())")
    }

    // MARK: - Support

    /// Runs `assetbuild ARGS` in the workspace and compares the rendering with `session/NAME.txt`.
    func golden(_ ws: CLIWorkspace, _ args: [String], _ name: String, folder: String = "session",
                sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        let r = try await ws.run(args, environment: Self.environment)
        try ManifestSnapshot.assert(Self.render(["assetbuild"] + args, r, workspace: ws.path),
                                    golden: Self.goldens.appendingPathComponent("\(folder)/\(name).txt"),
                                    sourceLocation: sourceLocation)
    }

    static func helpGolden(_ words: [String]) -> URL {
        goldens.appendingPathComponent("help/\((["assetbuild"] + words).joined(separator: "-")).txt")
    }

    /// The command line, exit status and both streams, normalized (see the header).
    static func render(_ command: [String], _ r: CLIResult, workspace: String) -> String {
        "$ \(command.joined(separator: " "))\nexit \(r.status)\n"
            + "--- stdout\n\(normalize(r.stdout, workspace: workspace))"
            + "--- stderr\n\(normalize(r.stderr, workspace: workspace))"
    }

    static func normalize(_ text: String, workspace: String) -> String {
        var t = text
        for p in Set([workspace, URL(fileURLWithPath: workspace).resolvingSymlinksInPath().path]) {
            t = t.replacingOccurrences(of: p, with: "<workspace>")
        }
        // The summary line ends "… N request(s) in 0.4s".
        let lines = t.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            String(line).replacingOccurrences(of: #"(request\(s\)(, \d+ retries)?) in \d+\.\ds$"#,
                                              with: "$1 in <elapsed>", options: .regularExpression)
        }
        t = lines.joined(separator: "\n")
        return t.isEmpty || t.hasSuffix("\n") ? t : t + "\n"
    }

    /// Every command as its words after `assetbuild` (`[]` for the root), walking the
    /// SUBCOMMANDS section of each help text.
    static func allCommands(in directory: String) async throws -> [[String]] {
        var found: [[String]] = []
        var queue: [[String]] = [[]]
        while !queue.isEmpty {
            let words = queue.removeFirst()
            found.append(words)
            let r = try await assetbuild(words + ["--help"], in: directory, environment: environment)
            #expect(r.status == 0, "\(words) --help: \(r)")
            queue += subcommands(in: r.stdout).map { words + [$0] }
        }
        return found
    }

    /// Names listed under `SUBCOMMANDS:` (two-space indent; wrapped abstracts are deeper).
    static func subcommands(in help: String) -> [String] {
        var names: [String] = []
        var inSection = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "SUBCOMMANDS:" { inSection = true; continue }
            guard inSection else { continue }
            if line.isEmpty { break }
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            let name = line.dropFirst(2).prefix { !$0.isWhitespace }
            if !name.isEmpty, name != "help" { names.append(String(name)) }
        }
        return names
    }
}
