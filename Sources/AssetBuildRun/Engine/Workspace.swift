import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// A manifest with its graph and the places it builds into: the cache (`.assetbuild/` beside the
/// manifest unless overridden) and the build directory (`build/` beside the manifest).
public struct Workspace: Sendable {
    public var manifest: Manifest
    public var graph: BuildGraph
    /// Where its state lives: cache, build directory, lock file, record, stamp.
    public var paths: StatePaths
    public var cacheDirectory: URL { paths.cacheDirectory }
    /// Absolute path of the build directory.
    public var buildRoot: String { paths.buildRoot }
    /// Who this workspace is to a cache that several projects may share (`ASSETBUILD_CACHE_DIR`):
    /// the manifest's canonical path (absolute, symbolic links resolved). Target states are kept
    /// per project.
    public var project: String

    public init(manifest: Manifest, cacheDirectory: String? = nil, buildDirectory: String? = nil) throws(DiagnosticsError) {
        self.manifest = manifest
        self.graph = try BuildGraph(manifest: manifest)
        self.project = Self.project(manifestPath: manifest.path)
        paths = StatePaths(manifestPath: manifest.path, cacheDirectory: cacheDirectory, buildDirectory: buildDirectory)
        // Relative paths in the manifest resolve against the folder it was loaded from.
        paths.manifestDirectory = manifest.directory
    }

    /// The project id of a manifest: its canonical path.
    public static func project(manifestPath: String) -> String {
        let absolute = manifestPath.hasPrefix("/") ? manifestPath : FileManager.default.currentDirectoryPath + "/" + manifestPath
        guard let resolved = realpath(absolute, nil) else { return URL(fileURLWithPath: absolute).standardizedFileURL.path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// What would stop outputs from being written, found before anything is paid for: the build
    /// directory (or the folder it would be made in) is not a writable folder, a file of the
    /// user's sits where an output needs a folder, or a folder sits where an output goes.
    public func outputPlaceProblems() -> DiagnosticsError? {
        var existing = buildRoot
        while FileOps.stat(existing) == nil, existing != "/", !existing.isEmpty { existing = FileOps.parent(of: existing) }
        if let st = FileOps.stat(existing), !st.isDirectory || access(existing, W_OK) != 0 {
            let what = existing == buildRoot ? "it" : "'\(existing)'"
            let problem = st.isDirectory ? "\(what) is not writable" : "\(what) is \(st.kind), not a folder"
            return DiagnosticsError([.error("cannot write outputs into the build directory '\(buildRoot)': \(problem); nothing was sent",
                                            at: nil, notes: ["choose another with --build-dir DIR"])])
        }
        var problems: [Diagnostic] = []
        var isFile: [String: Bool] = [:]
        for t in manifest.targets {
            let location = t.output?.location ?? t.location
            for rel in t.possibleOutputPaths {
                var blocked: String?
                var folder = FileOps.parent(of: rel)
                while !folder.isEmpty, folder != "/" {
                    if isFile[folder] == nil { isFile[folder] = FileOps.stat(buildRoot + "/" + folder).map { !$0.isDirectory } ?? false }
                    if isFile[folder] == true { blocked = folder }
                    folder = FileOps.parent(of: folder)
                }
                if let blocked {
                    problems.append(.error("output '\(rel)' needs a folder '\(blocked)' in the build directory, but a file is there; nothing was sent",
                                           at: location, notes: ["move or rename that file (assetbuild never touches files it did not write), or give '\(t.name)' another 'output:'"]))
                } else if let st = FileOps.stat(buildRoot + "/" + rel), st.isDirectory {
                    problems.append(.error("output '\(rel)' is a folder in the build directory; nothing was sent", at: location,
                                           notes: ["move or rename that folder, or give '\(t.name)' another 'output:'"]))
                }
            }
        }
        return problems.isEmpty ? nil : manifest.diagnosticsError(problems)
    }

    /// The no-op stamp of full builds of this workspace.
    public func noopStamp(providerOverride: String?) -> NoopStamp {
        NoopStamp(manifestPath: manifest.path, paths: paths, providerOverride: providerOverride)
    }

    /// The declaration indices of the named targets plus everything they need, in build order;
    /// every target when `names` is empty. Unknown names are a usage error with a suggestion.
    public func selection(_ names: [String]) throws(DiagnosticsError) -> [Int] {
        if names.isEmpty { return graph.topologicalOrder }
        var roots: [Int] = []
        var problems: [Diagnostic] = []
        for n in names {
            if let i = graph.index(of: n) {
                roots.append(i)
            } else {
                problems.append(.error("unknown target '\(n)'\(SpellCheck.didYouMean(n, in: manifest.targetNames))", at: nil))
            }
        }
        if !problems.isEmpty { throw DiagnosticsError(problems) }
        let closure = graph.closure(of: roots)
        return graph.topologicalOrder.filter { closure.contains($0) }
    }
}
