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
    func killNow(timeout: Duration = .seconds(60)) async throws -> CLIEnding {
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

