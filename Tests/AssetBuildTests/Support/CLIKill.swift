import Foundation

/// How a started `assetbuild` process ended when the test pulled the plug.
enum CLIEnding {
    /// Killed by SIGKILL at `at` (taken just before the signal was sent); `stdout` is what it had
    /// printed by then (its `--json` events).
    case killed(at: ContinuousClock.Instant, stdout: String)
    /// It had already finished on its own.
    case exited(CLIResult)
}

extension RunningCLI {
    /// `kill -9` now, unless the process already exited; waits until it is gone.
    func killNow(timeout: Duration = .seconds(10)) async throws -> CLIEnding {
        let at = ContinuousClock.now
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline { throw TestSupportError("pid \(process.processIdentifier) survived SIGKILL") }
            try await Task.sleep(for: .milliseconds(2))
        }
        guard process.terminationReason == .uncaughtSignal else { return .exited(try await finish(timeout: timeout)) }
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        _ = try? await finish(timeout: timeout)   // reaps the process and removes its output files
        return .killed(at: at, stdout: stdout)
    }
}

/// A small seeded generator (SplitMix64) so random test schedules are reproducible.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
