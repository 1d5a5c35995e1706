import Foundation
import AssetBuildSupport
import AssetBuildDeriveSpec

/// `DeriveFacts` kept in the state folder between runs, so that a plan, status or build whose
/// derived targets ask nothing new does not start libvips' worker (~35 ms, plus a round trip per
/// font) only to hear the same libvips version and font files again.
///
/// An entry holds while nothing that decides the answers changed: the worker binary and each
/// file it listed (`DeriveToolchain.stateFiles`: the libraries that answer, fontconfig's
/// configuration files and directories and its font directories — what fontconfig checks to
/// decide its own configuration is stale), compared by stat (size, mtime, inode, or missing), and
/// the environment variables that change which libraries load or which configuration fontconfig
/// reads. A font name not in the entry asks the worker. Anything else asks the worker and writes
/// a new entry; a toolchain without an executable (libvips in process) is never cached.
public struct DeriveFactsCache: Sendable {
    public static let fileName = "derive-facts.json"
    /// The variables that change what the worker answers: which libraries the dynamic linker
    /// loads, and where fontconfig reads its configuration and the user's fonts.
    static let environmentKeys = ["LD_LIBRARY_PATH", "LD_PRELOAD", "FONTCONFIG_FILE", "FONTCONFIG_PATH",
                                  "FONTCONFIG_SYSROOT", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"]

    public var path: String
    public var fileSystem: any FileSystem
    var environment: [String: String]

    public init(path: String, fileSystem: any FileSystem = LocalFileSystem(),
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.path = path
        self.fileSystem = fileSystem
        self.environment = environment.filter { Self.environmentKeys.contains($0.key) }
    }

    package struct Entry: Codable, Equatable {
        var format = 1
        var executable: String
        var environment: [String: String]
        /// Every file that decides the answers (the executable first) → its stat.
        var files: [String]
        var stats: [String]
        var vipsVersion: String
        var fonts: [String: ResolvedFont]
    }

    /// The cached facts for `fonts`, when the entry still holds for `executable` and has every
    /// one of them; nil otherwise.
    package func lookup(executable: String, fonts: Set<String>) -> DeriveFacts? {
        guard let entry = load(executable: executable), fonts.isSubset(of: entry.fonts.keys) else { return nil }
        return DeriveFacts(vipsVersion: entry.vipsVersion, fonts: entry.fonts.filter { fonts.contains($0.key) },
                           stateFiles: entry.files)
    }

    /// The entry, when it was written for `executable` and the same environment, and none of its
    /// files changed since.
    package func load(executable: String) -> Entry? {
        guard let data = try? fileSystem.read(path, limit: 1 << 20),
              let entry = try? JSONDecoder().decode(Entry.self, from: data),
              entry.format == 1, entry.executable == executable, entry.environment == environment,
              entry.files.first == executable, entry.stats == stats(entry.files) else { return nil }
        return entry
    }

    /// The stat of each file, as the entry records it ("-" for a missing one).
    package func stats(_ files: [String]) -> [String] {
        files.map { f in fileSystem.stat(f).map { "\($0.size) \($0.mtimeNs) \($0.inode)" } ?? "-" }
    }

    /// Records `facts` (with `stats`, taken before the worker was asked, so that a change while
    /// it answered makes the entry stale rather than wrong). Fonts of a still valid entry for
    /// the same files are kept. A failure to write costs only a worker start next time.
    package func store(_ facts: DeriveFacts, executable: String, stats: [String]) {
        // Only into a state folder that exists: `validate` in a new project creates none.
        guard fileSystem.stat(URL(fileURLWithPath: path).deletingLastPathComponent().path)?.isDirectory == true else { return }
        var fonts = facts.fonts
        if let old = load(executable: executable), old.files == facts.stateFiles, old.stats == stats {
            fonts.merge(old.fonts) { new, _ in new }
        }
        let entry = Entry(executable: executable, environment: environment, files: facts.stateFiles, stats: stats,
                          vipsVersion: facts.vipsVersion, fonts: fonts)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let data = try? encoder.encode(entry) else { return }
        try? fileSystem.writeAtomically(data, to: path, sync: false)
    }
}
