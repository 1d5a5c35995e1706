import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

/// The engine reads and writes the build's files through the file system its context holds
/// (Ninja's `DiskInterface`): a recording file system over the real disk sees every output, the
/// build record, `assetbuild.lock` and the reference file, and the dates recorded come from the clock.
@Suite struct EngineFileSystemTests {
    /// The real disk, with every read and write written down.
    final class RecordingFileSystem: FileSystem {
        let disk = LocalFileSystem()
        private let log = Mutex<(reads: [String], writes: [String])>(([], []))
        var reads: [String] { log.withLock { $0.reads } }
        var writes: [String] { log.withLock { $0.writes } }

        func stat(_ path: String) -> FileStat? { disk.stat(path) }
        func read(_ path: String) throws -> Data {
            log.withLock { $0.reads.append(path) }
            return try disk.read(path)
        }
        func read(_ path: String, limit: Int) throws -> Data {
            log.withLock { $0.reads.append(path) }
            return try disk.read(path, limit: limit)
        }
        func sha256(ofFileAt path: String) throws -> SHA256.Digest {
            log.withLock { $0.reads.append(path) }
            return try disk.sha256(ofFileAt: path)
        }
        func writeAtomically(_ data: Data, to path: String, sync: Bool) throws {
            log.withLock { $0.writes.append(path) }
            try disk.writeAtomically(data, to: path, sync: sync)
        }
        func remove(_ path: String) throws { try disk.remove(path) }
        func pruneEmptyParents(of path: String, root: String) { disk.pruneEmptyParents(of: path, root: root) }
        func contentsOfDirectory(_ path: String) throws -> [String] { try disk.contentsOfDirectory(path) }
    }

    @Test func a_build_writes_and_reads_through_the_context_file_system() async throws {
        let f = try EngineFixture()
        let fs = RecordingFileSystem()
        let clock = ManualClock()
        let manifest = try ManifestLoader.load(path: f.dir.url("assetbuild.yaml"))
        let workspace = try Workspace(manifest: manifest)
        let engine = BuildEngine(workspace: workspace, images: f.provider, text: f.provider, reporter: f.reporter,
                                 clock: clock, fileSystem: fs)
        _ = try await engine.build(BuildOptions())
        let root = workspace.buildRoot
        let written = Set(fs.writes)
        for output in ["a.jpeg", "b.jpeg", "c.jpeg", "d.jpeg", "g/1.jpeg", "g/2.jpeg", "assetbuild.json"] {
            #expect(written.contains(root + "/" + output), "\(output) was not written through the seam: \(fs.writes)")
        }
        #expect(written.contains(workspace.paths.lockFile))
        // The reference file is read through the seam when it is sent.
        #expect(fs.reads.contains { $0.hasSuffix("/refs/in.png") })
        // Every target's state is dated by the build's clock, not the machine's.
        let cache = try BuildCache.open(directory: workspace.cacheDirectory)
        let states = try cache.targetStates(project: workspace.project)
        #expect(states.count == 5)
        #expect(states.values.allSatisfy { $0.builtAt == clock.wallNow() })
    }
}
