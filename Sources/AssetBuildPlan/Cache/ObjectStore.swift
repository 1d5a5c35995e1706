import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// The name of an object: the sha256 of its bytes, as 64 lowercase hex characters.
public struct ObjectID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let hex: String

    /// Nil unless `hex` is 64 lowercase hex characters.
    public init?(hex: String) {
        guard hex.utf8.count == 64, hex.utf8.allSatisfy(Self.isHexDigit) else { return nil }
        self.hex = hex
    }

    public init(digest: SHA256.Digest) { hex = digest.hex }

    /// For text read back from our own index, which only ever stores valid ids.
    package init(trusted hex: String) { self.hex = hex }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = ObjectID(hex: text) else { throw CacheError.invalidObjectID(text) }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }

    public var description: String { hex }
    public static func < (a: ObjectID, b: ObjectID) -> Bool { a.hex < b.hex }

    package static func isHexDigit(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) }
}

/// Content-addressed files: `objects/ab/cdef…` (the first two hex characters name the folder).
///
/// An object is written to `objects/tmp/`, fsynced, renamed into place and its folder fsynced,
/// so after a crash an object either exists with all its bytes or not at all; a leftover
/// temporary file is only garbage (`BuildCache.collectGarbage` removes it). Writing an object that
/// is already present is a no-op. Objects are read-only (0444).
public final class ObjectStore: Sendable {
    public let directory: URL
    private let root: String
    private let tmp: String

    public init(directory: URL) throws {
        self.directory = directory
        root = directory.path
        tmp = root + "/tmp"
        try makeDirectory(root)
        try makeDirectory(tmp)
    }

    /// Stores `data` durably; returns its id.
    @discardableResult
    public func put(_ data: Data) throws -> ObjectID {
        let id = ObjectID(digest: SHA256.hash(data))
        if isPresent(id, size: Int64(data.count)) { return id }
        let (fd, tmpPath) = try createTemporaryFile()
        do {
            try data.withUnsafeBytes { try writeAll(fd, $0, path: tmpPath) }
            try syncAndClose(fd, path: tmpPath)
        } catch {
            close(fd)
            unlink(tmpPath)
            throw error
        }
        try install(tmpPath, as: id)
        return id
    }

    /// Stores a file's bytes durably, hashing while copying, without holding it in memory.
    @discardableResult
    public func put(fileAt url: URL) throws -> ObjectID {
        let source = open(url.path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw CacheError.posix(url.path, "open") }
        defer { close(source) }
        let (fd, tmpPath) = try createTemporaryFile()
        var hasher = SHA256()
        var size: Int64 = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        do {
            while true {
                let n = Glibc.read(source, buffer.baseAddress, buffer.count)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CacheError.posix(url.path, "read")
                }
                if n == 0 { break }
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                hasher.update(chunk)
                try writeAll(fd, chunk, path: tmpPath)
                size += Int64(n)
            }
            try syncAndClose(fd, path: tmpPath)
        } catch {
            close(fd)
            unlink(tmpPath)
            throw error
        }
        let id = ObjectID(digest: hasher.finalize())
        if isPresent(id, size: size) {
            unlink(tmpPath)
            return id
        }
        try install(tmpPath, as: id)
        return id
    }

    public func path(for id: ObjectID) -> String {
        let hex = id.hex
        let split = hex.index(hex.startIndex, offsetBy: 2)
        return "\(root)/\(hex[..<split])/\(hex[split...])"
    }

    public func contains(_ id: ObjectID) -> Bool {
        var info = stat()
        return stat(path(for: id), &info) == 0
    }

    /// The object's bytes, checked against its name: a missing object throws
    /// `CacheError.missingObject`, one whose bytes hash to something else `CacheError.corruptObject`
    /// (never a bare "No such file or directory", never the wrong bytes).
    public func read(_ id: ObjectID) throws -> Data {
        let path = path(for: id)
        let data: Data
        do {
            data = try FileOps.read(path)
        } catch let error as FileSystemError {
            if !contains(id) { throw CacheError.missingObject(id, path: path) }
            throw CacheError.file(path: path, operation: "read", errno: error.code)
        }
        let actual = SHA256.hash(data).hex
        guard actual == id.hex else { throw CacheError.corruptObject(id, path: path, actualSHA256: actual) }
        return data
    }

    /// True when the object's bytes still hash to its name.
    public func verify(_ id: ObjectID) throws -> Bool {
        try actualDigest(of: id) == id.hex
    }

    /// Deletes an object (after `verify` found it bad, or from garbage collection).
    public func remove(_ id: ObjectID) throws {
        let path = path(for: id)
        if unlink(path) != 0 && errno != ENOENT { throw CacheError.posix(path, "unlink") }
    }

    // MARK: Internals for BuildCache

    package func actualDigest(of id: ObjectID) throws -> String {
        let path = path(for: id)
        guard contains(id) else { throw CacheError.missingObject(id, path: path) }
        do {
            return try SHA256.hash(fileAt: path).hex
        } catch let error as FileSystemError {
            throw CacheError.file(path: error.path, operation: "read", errno: error.code)
        }
    }

    /// Re-hashes every object: stray files and objects whose bytes do not hash to their name,
    /// and the ids of the objects present.
    package func verifyAll() throws -> (problems: [CacheProblem], present: Set<ObjectID>) {
        let scan = try scan()
        var problems = scan.stray.map { CacheProblem.strayFile(path: $0) }
        var present = Set<ObjectID>()
        for entry in scan.objects {
            let actual = try actualDigest(of: entry.id)
            if actual != entry.id.hex { problems.append(.corruptObject(entry.id, actualSHA256: actual)) }
            present.insert(entry.id)
        }
        return (problems, present)
    }

    package struct Entry {
        package var id: ObjectID
        package var size: Int64
        package var modified: Date
    }

    /// Every object on disk, plus files under `objects/` that are not objects (temporary files excluded).
    package func scan() throws -> (objects: [Entry], stray: [String]) {
        var objects: [Entry] = []
        var stray: [String] = []
        let fm = FileManager.default
        let shards = (try? fm.contentsOfDirectory(atPath: root)) ?? []
        for shard in shards.sorted() where shard != "tmp" {
            let shardPath = root + "/" + shard
            guard shard.utf8.count == 2, shard.utf8.allSatisfy(ObjectID.isHexDigit), isDirectory(shardPath) else {
                stray.append(shardPath)
                continue
            }
            for name in try fm.contentsOfDirectory(atPath: shardPath).sorted() {
                let filePath = shardPath + "/" + name
                var info = stat()
                guard let id = ObjectID(hex: shard + name), lstat(filePath, &info) == 0,
                      (info.st_mode & S_IFMT) == S_IFREG else {
                    stray.append(filePath)
                    continue
                }
                let modified = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
                objects.append(Entry(id: id, size: Int64(info.st_size), modified: modified))
            }
        }
        return (objects, stray)
    }

    /// Removes temporary files left by writers that died; only call while holding the build lock.
    package func removeTemporaryFiles() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] {
            unlink(tmp + "/" + name)
        }
    }

    // MARK: Writing

    private func isPresent(_ id: ObjectID, size: Int64) -> Bool {
        var info = stat()
        // A present file of the wrong size can only be damage: replace it.
        return stat(path(for: id), &info) == 0 && Int64(info.st_size) == size
    }

    private func createTemporaryFile() throws -> (Int32, String) {
        for _ in 0..<8 {
            let path = "\(tmp)/\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
            if fd >= 0 { return (fd, path) }
            if errno == ENOENT { try makeDirectory(tmp) } else if errno != EEXIST { throw CacheError.posix(path, "create") }
        }
        throw CacheError.posix(tmp, "create a temporary file")
    }

    /// Renames a finished temporary file into place and makes the rename durable.
    private func install(_ tmpPath: String, as id: ObjectID) throws {
        let final = path(for: id)
        let shard = (final as NSString).deletingLastPathComponent
        if mkdir(shard, 0o755) == 0 {
            try syncDirectory(root)
        } else if errno != EEXIST {
            let error = CacheError.posix(shard, "mkdir")
            unlink(tmpPath)
            throw error
        }
        guard rename(tmpPath, final) == 0 else {
            let error = CacheError.posix(final, "rename")
            unlink(tmpPath)
            throw error
        }
        try syncDirectory(shard)
    }
}

// MARK: POSIX helpers

/// `mkdir -p`.
private func makeDirectory(_ path: String) throws {
    if isDirectory(path) { return }
    let parent = (path as NSString).deletingLastPathComponent
    if !parent.isEmpty && parent != path { try makeDirectory(parent) }
    if mkdir(path, 0o755) != 0 && errno != EEXIST { throw CacheError.posix(path, "mkdir") }
}

private func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}

private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
    var offset = 0
    while offset < bytes.count {
        let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0 {
            if errno == EINTR { continue }
            throw CacheError.posix(path, "write")
        }
        offset += n
    }
}

private func syncAndClose(_ fd: Int32, path: String) throws {
    guard fsync(fd) == 0 else { throw CacheError.posix(path, "fsync") }
    guard close(fd) == 0 else { throw CacheError.posix(path, "close") }
}

/// `FileOps.syncDirectory`, failing with the cache's error (which names the call).
private func syncDirectory(_ path: String) throws {
    do {
        try FileOps.syncDirectory(path)
    } catch {
        throw CacheError.file(path: error.path, operation: error.operation ?? "fsync", errno: error.code)
    }
}
