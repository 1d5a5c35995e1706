import Foundation
import Synchronization
@testable import AssetBuildCore

/// A disk in memory (Ninja's `VirtualFileSystem`), with faults on demand: a write that fails
/// midway (`failWrites(to:afterBytes:)`). Keeps the `FileSystem` contract: an atomic write goes
/// to a temporary name first, so a failed one leaves the old file (or none), never part of one.
/// Records every read, so a test can prove what was and was not read.
final class InMemoryFileSystem: FileSystem {
    private struct File {
        var data: Data
        var mtimeNs: Int64
        var inode: UInt64
    }

    private struct State {
        var files: [String: File] = [:]
        var nextInode: UInt64 = 1
        /// Advances by one per write, so each write gives a new stat.
        var tick: Int64 = 1_000_000_000
        /// Paths whose next write fails after this many bytes.
        var failing: [String: Int] = [:]
        var reads: [String] = []
        /// Names that existed while a write was under way (the temporary file).
        var temporaryNames: [String] = []
    }

    private let state = Mutex(State())

    /// Puts a file in place (no fault applies).
    func add(_ data: Data, at path: String) {
        state.withLock { s in
            s.tick += 1
            s.files[path] = File(data: data, mtimeNs: s.tick, inode: s.nextInode)
            s.nextInode += 1
        }
    }

    /// The next atomic write to `path` stops with ENOSPC after `bytes` bytes.
    func failWrites(to path: String, afterBytes bytes: Int) { state.withLock { $0.failing[path] = bytes } }

    var paths: [String] { state.withLock { $0.files.keys.sorted() } }
    var reads: [String] { state.withLock { $0.reads } }
    var temporaryNames: [String] { state.withLock { $0.temporaryNames } }
    func contents(_ path: String) -> Data? { state.withLock { $0.files[path]?.data } }

    func stat(_ path: String) -> FileStat? {
        state.withLock { s in
            if let f = s.files[path] {
                return FileStat(size: Int64(f.data.count), mtimeNs: f.mtimeNs, inode: f.inode, isDirectory: false,
                                isRegular: true, kind: "a regular file")
            }
            guard s.files.keys.contains(where: { $0.hasPrefix(path + "/") }) else { return nil }
            return FileStat(size: 0, mtimeNs: 0, inode: 0, isDirectory: true, isRegular: false, kind: "a folder")
        }
    }

    func read(_ path: String) throws -> Data {
        try state.withLock { s in
            s.reads.append(path)
            guard let f = s.files[path] else { throw FileSystemError(path: path, code: ENOENT) }
            return f.data
        }
    }

    func read(_ path: String, limit: Int) throws -> Data {
        let data = try read(path)
        guard data.count <= limit else { throw FileOps.TooLarge(path: path, limit: limit) }
        return data
    }

    func sha256(ofFileAt path: String) throws -> SHA256.Digest { SHA256.hash(try read(path)) }

    func writeAtomically(_ data: Data, to path: String, sync: Bool) throws {
        try state.withLock { s in
            let tmp = FileOps.parent(of: path) + "/.assetbuild-tmp-\(s.nextInode)"
            s.temporaryNames.append(tmp)
            s.tick += 1
            if let limit = s.failing.removeValue(forKey: path) {
                // Part of the bytes reached the temporary file, then the disk filled up: the
                // temporary file is removed and the destination never saw any of it.
                s.files[tmp] = File(data: data.prefix(limit), mtimeNs: s.tick, inode: s.nextInode)
                s.files[tmp] = nil
                throw FileSystemError(path: path, code: ENOSPC)
            }
            s.files[path] = File(data: data, mtimeNs: s.tick, inode: s.nextInode)
            s.nextInode += 1
        }
    }

    func remove(_ path: String) throws { state.withLock { _ = $0.files.removeValue(forKey: path) } }

    func pruneEmptyParents(of path: String, root: String) {}

    func contentsOfDirectory(_ path: String) throws -> [String] {
        state.withLock { s in
            let prefix = path.hasSuffix("/") ? path : path + "/"
            return Array(Set(s.files.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count).prefix { $0 != "/" }) })).sorted()
        }
    }
}
