import Foundation
import Testing
@testable import AssetBuildCore

/// What one run of the `assetbuild` binary did.
struct CLIResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    /// Both streams, stdout first (for "mentions X somewhere" checks).
    var output: String { stdout + stderr }

    var description: String { "exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }

    /// The `--json` events printed on stdout, one object per line.
    func events() throws -> [[String: Any]] {
        try stdout.split(separator: "\n").map { line in
            guard let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw TestSupportError("not a JSON object: \(line)")
            }
            return o
        }
    }

    /// The `finished` event's summary (from `--json`).
    func finished() throws -> [String: Any] {
        guard let f = try events().last(where: { $0["event"] as? String == "finished" }) else {
            throw TestSupportError("no 'finished' event in:\n\(self)")
        }
        return f
    }

    /// Requests sent, from the plain summary line `…, N request(s) in …` or the `finished` event.
    var requests: Int? {
        if let f = try? finished(), let n = f["requests"] as? Int { return n }
        guard let r = output.range(of: #"(\d+) request\(s\)"#, options: .regularExpression) else { return nil }
        return Int(output[r].prefix { $0.isNumber })
    }
}

/// Runs the real `assetbuild` executable, built by SwiftPM next to the test bundle.
enum AssetBuildBinary {
    /// Where the binary is, or why it could not be found.
    static let location: Result<String, TestSupportError> = {
        let fm = FileManager.default
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["ASSETBUILD_BINARY"], !explicit.isEmpty {
            candidates.append(explicit)
        }
        // The test bundle (`assetbuildPackageTests.xctest`) sits in the same directory as the products.
        for exe in [Bundle.main.executablePath, CommandLine.arguments.first].compactMap({ $0 }) {
            var url = URL(fileURLWithPath: exe).resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<3 {
                candidates.append(url.appendingPathComponent("assetbuild").path)
                url.deleteLastPathComponent()
            }
        }
        for b in Bundle.allBundles { candidates.append(b.bundleURL.deletingLastPathComponent().appendingPathComponent("assetbuild").path) }
        candidates.append(PackageRoot.path + "/.build/debug/assetbuild")
        for c in candidates {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: c, isDirectory: &isDir), !isDir.boolValue, fm.isExecutableFile(atPath: c) { return .success(c) }
        }
        return .failure(TestSupportError(
            "the 'assetbuild' executable was not found beside the test bundle (looked in: "
            + Array(Set(candidates)).sorted().joined(separator: ", ")
            + "); build it with 'swift build' (or set ASSETBUILD_BINARY)"))
    }()

    static func path() throws -> String { try location.get() }
}

/// Runs `assetbuild ARGS` in `directory` with a clean environment (no cache override, no key, no
/// colour forcing). stdout and stderr go to files, so large output can never block the child.
/// Fails (and kills the child) after `timeout`.
func assetbuild(_ args: [String], in directory: String, environment extra: [String: String] = [:],
                timeout: Duration = .seconds(120)) async throws -> CLIResult {
    let process = try startAssetbuild(args, in: directory, environment: extra)
    return try await process.finish(timeout: timeout)
}

/// A started child process whose output is being captured.
final class RunningCLI: Sendable {
    let process: Process
    let outPath: String
    let errPath: String
    private let exited: AsyncStream<Int32>

    init(process: Process, outPath: String, errPath: String, exited: AsyncStream<Int32>) {
        self.process = process
        self.outPath = outPath
        self.errPath = errPath
        self.exited = exited
    }

    /// What has been written to stderr so far.
    var stderrSoFar: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    func finish(timeout: Duration) async throws -> CLIResult {
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        let status = try await awaitExit(process, exited, timeout: timeout) { stderrSoFar }
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        return CLIResult(status: status, stdout: out, stderr: stderrSoFar)
    }
}

func startAssetbuild(_ args: [String], in directory: String, environment extra: [String: String] = [:]) throws -> RunningCLI {
    let (process, exited) = try assetbuildProcess(args, in: directory, environment: extra)
    let tmp = FileManager.default.temporaryDirectory.path + "/assetbuild-cli-\(UUID().uuidString)"
    _ = FileManager.default.createFile(atPath: tmp + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: tmp + ".err", contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp + ".out"))
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: tmp + ".err"))
    try process.run()
    return RunningCLI(process: process, outPath: tmp + ".out", errPath: tmp + ".err", exited: exited)
}

/// `assetbuild ARGS` in `directory`, not yet started, with a clean environment (PATH, HOME,
/// TMPDIR, LANG, LC_ALL, plus `extra`), stdin from /dev/null, and its exit status on `exited`.
/// The caller connects stdout and stderr, then runs it.
func assetbuildProcess(_ args: [String], in directory: String,
                       environment extra: [String: String] = [:]) throws -> (process: Process, exited: AsyncStream<Int32>) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try AssetBuildBinary.path())
    process.arguments = args
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let inherited = ProcessInfo.processInfo.environment
    var env: [String: String] = [:]
    for key in ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL"] { if let v = inherited[key] { env[key] = v } }
    env.merge(extra) { $1 }
    process.environment = env
    process.standardInput = FileHandle.nullDevice
    let (exited, continuation) = AsyncStream<Int32>.makeStream()
    process.terminationHandler = { p in
        continuation.yield(p.terminationStatus)
        continuation.finish()
    }
    return (process, exited)
}

/// The exit status of `process`, killing it after `timeout`; throws when it died of a signal
/// (the timeout's SIGKILL included), with `stderr()` in the message.
func awaitExit(_ process: Process, _ exited: AsyncStream<Int32>, timeout: Duration,
               stderr: () -> String) async throws -> Int32 {
    let killer = Task { [process] in
        try await Task.sleep(for: timeout)
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
    defer { killer.cancel() }
    var status: Int32 = -1
    for await s in exited { status = s; break }
    if process.terminationReason == .uncaughtSignal {
        throw TestSupportError("assetbuild \(process.arguments ?? []) was killed by signal \(status) (timeout \(timeout)?)\n\(stderr())")
    }
    return status
}
