import ArgumentParser
import AssetBuildCore

@main
struct AssetBuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assetbuild",
        abstract: "Build AI-generated image assets from a manifest, make-style.",
        version: AssetBuildVersion.current,
        subcommands: [])

    mutating func run() async throws {}
}
