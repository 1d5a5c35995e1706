import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `stat` says about a file, for change detection without reading it.
public struct FileStat: Sendable, Hashable {
    public var size: Int64
    public var mtimeNs: Int64
    public var inode: UInt64
    public var isDirectory: Bool
}

/// The engine's file-system operations in one place: stat, atomic writes, removal.
/// Writes are temp file + fsync + rename, so a reader never sees half a file.
public enum FileOps {
    public static func stat(_ path: String) -> FileStat? {
        var st = Foundation.stat()
        guard systemStat(path, &st) == 0 else { return nil }
        #if os(Linux)
        let ns = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        #else
        let ns = Int64(st.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(st.st_mtimespec.tv_nsec)
        #endif
        return FileStat(size: Int64(st.st_size), mtimeNs: ns, inode: UInt64(st.st_ino),
                        isDirectory: (st.st_mode & S_IFMT) == S_IFDIR)
    }

    private static func systemStat(_ path: String, _ st: inout Foundation.stat) -> Int32 {
        // `stat` names both the struct and the call; fstatat is the same call without the clash.
        fstatat(AT_FDCWD, path, &st, 0)
    }

    public static func exists(_ path: String) -> Bool { stat(path) != nil }

    public static func read(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileSystemError(path: path, code: errno == 0 ? ENOENT : errno)
        }
        return data
    }

    /// Creates `path`'s folder (and parents) as needed.
    public static func makeParent(of path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        guard !dir.isEmpty, !exists(dir) else { return }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    /// Writes `data` to `path` atomically: a temp file beside it, fsync, rename.
    public static func writeAtomically(_ data: Data, to path: String, sync: Bool = true) throws {
        try makeParent(of: path)
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = (dir.isEmpty ? "." : dir) + "/.assetbuild-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError(path: tmp, code: errno) }
        var ok = false
        defer {
            if !ok { unlink(tmp) }
        }
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    let code = errno
                    close(fd)
                    throw FileSystemError(path: tmp, code: code)
                }
                offset += n
            }
        }
        // Synced before the rename, like an object: after a crash the name holds all the bytes.
        if sync, fsync(fd) != 0 {
            let code = errno
            close(fd)
            throw FileSystemError(path: tmp, code: code)
        }
        close(fd)
        guard rename(tmp, path) == 0 else { throw FileSystemError(path: path, code: errno) }
        ok = true
        if sync { try? syncDirectory(dir.isEmpty ? "." : dir) }
    }

    public static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw FileSystemError(path: path, code: errno) }
    }

    /// Removes temp files that an atomic write of a process no longer running left in `dir`
    /// (a build killed mid-write). Files of live processes are left alone.
    public static func sweepTempFiles(in dir: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in names where name.hasPrefix(".assetbuild-tmp-") {
            let pidText = name.dropFirst(".assetbuild-tmp-".count).prefix { $0.isNumber }
            guard let pid = Int32(pidText), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink(dir + "/" + name)
        }
    }

    /// Removes empty folders from `path`'s folder up to (not including) `root`.
    public static func pruneEmptyParents(of path: String, root: String) {
        var dir = (path as NSString).deletingLastPathComponent
        while dir.count > root.count, dir.hasPrefix(root) {
            guard rmdir(dir) == 0 else { return }
            dir = (dir as NSString).deletingLastPathComponent
        }
    }
}
