import Foundation

/// The engine's door to the disk for the user's files and the build's own (Ninja's
/// `DiskInterface`, llbuild's `FileSystem`): every stage that reads a reference, writes an output
/// or keeps a state file goes through one of these, so a test can hand it a disk that fails.
///
/// Paths are absolute or relative to the working directory, as `FileOps` takes them.
public protocol FileSystem: Sendable {
    /// What `stat` says about `path`, or nil when there is nothing there.
    func stat(_ path: String) -> FileStat?
    /// The whole file.
    func read(_ path: String) throws -> Data
    /// At most `limit` bytes; a longer file throws `FileOps.TooLarge` without reading further.
    func read(_ path: String, limit: Int) throws -> Data
    /// The SHA-256 of the file's bytes.
    func sha256(ofFileAt path: String) throws -> SHA256.Digest
    /// Writes `data` to `path` so that a reader (or a crash) sees the old file or the whole new
    /// one, never part of it; creates the folders it needs. `sync`: durable before returning.
    func writeAtomically(_ data: Data, to path: String, sync: Bool) throws
    /// Removes the file at `path`; nothing there is no error.
    func remove(_ path: String) throws
    /// Removes empty folders from `path`'s folder up to (not including) `root`.
    func pruneEmptyParents(of path: String, root: String)
    /// The names in folder `path`.
    func contentsOfDirectory(_ path: String) throws -> [String]
}

extension FileSystem {
    public func exists(_ path: String) -> Bool { stat(path) != nil }

    public func writeAtomically(_ data: Data, to path: String) throws {
        try writeAtomically(data, to: path, sync: true)
    }
}

/// The real disk, through `FileOps`.
public struct LocalFileSystem: FileSystem {
    public init() {}

    public func stat(_ path: String) -> FileStat? { FileOps.stat(path) }
    public func read(_ path: String) throws -> Data { try FileOps.read(path) }
    public func read(_ path: String, limit: Int) throws -> Data { try FileOps.read(path, limit: limit) }
    public func sha256(ofFileAt path: String) throws -> SHA256.Digest { try SHA256.hash(fileAt: path) }

    public func writeAtomically(_ data: Data, to path: String, sync: Bool) throws {
        try FileOps.writeAtomically(data, to: path, sync: sync)
    }

    public func remove(_ path: String) throws { try FileOps.remove(path) }
    public func pruneEmptyParents(of path: String, root: String) { FileOps.pruneEmptyParents(of: path, root: root) }
    public func contentsOfDirectory(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path)
    }
}
