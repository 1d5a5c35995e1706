import ArgumentParser
import AssetBuildCore
import Foundation

@main
struct AssetBuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assetbuild",
        abstract: "Build AI-generated image assets from a manifest, make-style.",
        discussion: """
        Reads assetbuild.yaml, works out which targets are stale and why, generates only those \
        (Volcengine Ark's Seedream models, or offline drafts), and writes them into build/.

        Exit status: 0 success, 1 build failed, 2 usage or manifest error (nothing was sent).
        """,
        version: AssetBuildVersion.current,
        subcommands: [Build.self, Plan.self, Status.self, Validate.self, Graph.self, GalleryCommand.self, Clean.self, Cache.self])

    /// Runs the command and maps errors to exit codes: 2 for usage and manifest errors (before any
    /// request is sent), 1 for a failed build.
    static func main() async {
        do {
            let arguments = hoistGlobalOptions(Array(CommandLine.arguments.dropFirst()))
            try checkSubcommand(arguments)
            var command = try parseAsRoot(arguments)
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            exit(with: error)
        }
    }

    /// Options that every subcommand takes may come first, make-style (`assetbuild -C site build`):
    /// they are moved after the subcommand, where the parser expects them.
    static func hoistGlobalOptions(_ args: [String]) -> [String] {
        let withValue: Set<String> = ["-f", "--file", "-C", "--directory", "--cache-dir", "--build-dir", "--provider"]
        let flags: Set<String> = ["--allow-outside"]
        var leading: [String] = []
        var i = 0
        while i < args.count, args[i].hasPrefix("-") {
            let flag = args[i]
            let name = flag.split(separator: "=", maxSplits: 1).first.map(String.init) ?? flag
            guard withValue.contains(name) || flags.contains(flag) else { return args }   // --help, --version, or a mistake: leave as is
            leading.append(flag)
            if withValue.contains(name), !flag.contains("="), i + 1 < args.count {
                leading.append(args[i + 1])
                i += 1
            }
            i += 1
        }
        guard !leading.isEmpty, i < args.count else { return args }
        // `cache stats` and friends: keep nested subcommand names together.
        var sub = [args[i]]
        i += 1
        if sub[0] == "cache", i < args.count, !args[i].hasPrefix("-") {
            sub.append(args[i])
            i += 1
        }
        return sub + leading + Array(args[i...])
    }

    /// A mistyped subcommand is an error with a suggestion, never taken for a target name; so is a
    /// mistyped nested one (`cache stat`), at every level of the command tree.
    static func checkSubcommand(_ args: [String]) throws {
        var command: any ParsableCommand.Type = AssetBuildCommand.self
        var path: [String] = []
        for word in args {
            let subcommands = command.configuration.subcommands
            guard !word.hasPrefix("-"), !subcommands.isEmpty, word != "help" else { return }
            if let next = subcommands.first(where: { $0._commandName == word }) {
                command = next
                path.append(word)
                continue
            }
            let names = subcommands.map { $0._commandName } + (path.isEmpty ? ["help"] : [])
            let prefix = path.map { $0 + " " }.joined()
            let suggestion = SpellCheck.suggestion(for: word, in: names).map { "; did you mean '\(prefix)\($0)'?" } ?? ""
            throw DiagnosticsError([.error("unknown subcommand '\(prefix)\(word)'\(suggestion)", at: nil,
                                           notes: ["\(prefix)subcommands: " + names.joined(separator: ", ")])])
        }
    }

    static func exit(with error: any Error) -> Never {
        let env = ProcessInfo.processInfo.environment
        let color = isatty(STDERR_FILENO) == 1 && (env["NO_COLOR"] ?? "").isEmpty && env["TERM"] != "dumb"
        func say(_ s: String) { FileHandle.standardError.write(Data((s.hasSuffix("\n") ? s : s + "\n").utf8)) }
        switch error {
        case let e as DiagnosticsError:
            say(e.render(color: color))
            let errors = e.diagnostics.filter { $0.severity == .error }.count
            if errors > 1 { say("\(errors) errors; nothing was built") }
            Foundation.exit(2)
        case let e as BuildFailed:
            // Failures quote servers' messages: never let their control characters reach the terminal.
            say("assetbuild: " + TerminalText.escape("\(e)", keepingNewlines: true))
            Foundation.exit(1)
        case let e as ExitCode:
            Foundation.exit(e.rawValue)
        default:
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))   // --help, --version
                Foundation.exit(0)
            }
            say(TerminalText.escape(fullMessage(for: error), keepingNewlines: true))
            // Usage errors (unknown subcommand or option, bad value) exit 2 like make's.
            Foundation.exit(code == .validationFailure || code.rawValue == 64 ? 2 : 1)
        }
    }
}
