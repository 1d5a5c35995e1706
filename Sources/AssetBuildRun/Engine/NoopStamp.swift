import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// Proof that a full build left everything up to date, so the next one can say so without
/// parsing the manifest (which dominates a no-op build of thousands of targets; Ninja keeps its
/// own logs for the same reason).
///
/// Written after a successful full build: the manifest's SHA-256, the provider override, the
/// assetbuild version and executable, the cache index's inode, and the stat (size, mtime, inode) of every file a target reads or writes,
/// folded into one digest. A later `build` with no target names reads the manifest bytes, stats
/// those files, and stops if nothing moved. Any difference — an edited manifest, a touched
/// reference, a missing or edited output, another version of assetbuild — takes the full path,
/// which decides target by target as usual. Every full build that is not a no-op removes the
/// stamp before it writes anything, so an interrupted build never leaves a stale one.
public struct NoopStamp: Sendable {
    public static let fileName = BuildCache.noopStampName
    package static let header = "assetbuild-noop-stamp 1"

    public var manifestPath: String
    public var paths: StatePaths
    public var cacheDirectory: URL { paths.cacheDirectory }
    public var buildRoot: String { paths.buildRoot }
    /// `--provider`, or "-" when the manifest's own choice applies.
    public var providerOverride: String
    /// Where the stamp, the manifest and the files it vouches for are read and written.
    public var fileSystem: any FileSystem

    public init(manifestPath: String, paths: StatePaths, providerOverride: String?,
                fileSystem: any FileSystem = LocalFileSystem()) {
        self.manifestPath = URL(fileURLWithPath: manifestPath).standardizedFileURL.path
        self.paths = paths
        self.providerOverride = providerOverride ?? "-"
        self.fileSystem = fileSystem
    }

    package var path: String { paths.noopStamp }

    /// The version and the running executable's stat: a rebuilt binary of the same version
    /// (a developer's, or a patched package) may decide differently, so it does not trust the stamp.
    package static let binaryIdentity: String = {
        guard let st = FileOps.stat("/proc/self/exe") else { return AssetBuildVersion.current }
        return "\(AssetBuildVersion.current) \(st.size)-\(st.mtimeNs)-\(st.inode)"
    }()

    /// The number of targets when the last full build's stamp still holds; nil otherwise.
    public func check() -> Int? { checkTargets()?.count }

    /// The targets' names, in build order, when the last full build's stamp still holds.
    public func checkTargets() -> [String]? {
        guard let data = try? fileSystem.read(path), let text = String(data: data, encoding: .utf8) else { return nil }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)[...]
        func field(_ name: String) -> String? {
            guard let line = lines.popFirst(), line.hasPrefix(name + " ") else { return nil }
            return String(line.dropFirst(name.count + 1))
        }
        guard lines.popFirst().map(String.init) == Self.header,
              field("version") == Self.binaryIdentity,
              field("manifest") == manifestPath,
              field("build") == buildRoot,
              field("provider") == providerOverride,
              field("index") == indexIdentity(),
              let sha = field("sha256"),
              let targets = field("targets").flatMap({ Int($0) }),
              let digest = field("digest"),
              let count = field("files").flatMap({ Int($0) }) else { return nil }
        let files = lines.prefix(count).map(String.init)
        let names = lines.dropFirst(count).prefix(targets).map(String.init)
        guard files.count == count, names.count == targets,
              let manifest = try? fileSystem.read(manifestPath),
              SHA256.hash(manifest).hex == sha,
              Self.digest(files, fileSystem: fileSystem) == digest else { return nil }
        return names
    }

    /// Records the state after a successful full build. `files` are absolute paths.
    package func write(manifestBytes: Data, targets: [String], files: [String]) throws {
        let sorted = Array(Set(files)).sorted()
        var text = "\(Self.header)\nversion \(Self.binaryIdentity)\nmanifest \(manifestPath)\nbuild \(buildRoot)\n"
        text += "provider \(providerOverride)\nindex \(indexIdentity() ?? "-")\nsha256 \(SHA256.hash(manifestBytes).hex)\ntargets \(targets.count)\n"
        text += "digest \(Self.digest(sorted, fileSystem: fileSystem))\nfiles \(sorted.count)\n"
        text += sorted.joined(separator: "\n") + "\n"
        text += targets.joined(separator: "\n") + "\n"
        try fileSystem.writeAtomically(Data(text.utf8), to: path, sync: false)
    }

    /// The cache index's inode: a `cache.db` deleted, replaced or truncated since the stamp was
    /// written (its index lost) takes the full path, which rebuilds it from assetbuild.lock. One
    /// stat; its size and time change with every checkpoint, so they are not compared.
    package func indexIdentity() -> String? {
        guard let st = fileSystem.stat(cacheDirectory.appendingPathComponent(BuildCache.databaseName).path), st.size > 0 else { return nil }
        return "\(st.inode)"
    }

    package func remove() {
        try? fileSystem.remove(path)
    }

    /// One digest over every file's (size, mtime, inode), "-" for a missing file.
    package static func digest(_ files: [String], fileSystem: any FileSystem = LocalFileSystem()) -> String {
        var h = SHA256()
        for f in files {
            if let st = fileSystem.stat(f) {
                h.update("\(f)\t\(st.size)\t\(st.mtimeNs)\t\(st.inode)\n")
            } else {
                h.update("\(f)\t-\n")
            }
        }
        return h.finalize().hex
    }
}
