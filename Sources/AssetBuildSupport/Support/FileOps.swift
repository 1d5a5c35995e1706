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
    /// A plain file: not a folder, FIFO, socket or device (`/dev/zero` never ends).
    public var isRegular: Bool = false
    /// What the path is when it is not a regular file ("a folder", "a FIFO", "a character device"...).
    public var kind: String = "a file"

    /// Memberwise, spelled out so the other targets of the package can call it.
    package init(size: Int64, mtimeNs: Int64, inode: UInt64, isDirectory: Bool, isRegular: Bool = false, kind: String = "a file") {
        self.size = size
        self.mtimeNs = mtimeNs
        self.inode = inode
        self.isDirectory = isDirectory
        self.isRegular = isRegular
        self.kind = kind
    }
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
        let type = st.st_mode & S_IFMT
        let kind: String
        switch type {
        case S_IFREG: kind = "a regular file"
        case S_IFDIR: kind = "a folder"
        case S_IFIFO: kind = "a FIFO (named pipe)"
        case S_IFSOCK: kind = "a socket"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        default: kind = "not a regular file"
        }
        return FileStat(size: Int64(st.st_size), mtimeNs: ns, inode: UInt64(st.st_ino),
                        isDirectory: type == S_IFDIR, isRegular: type == S_IFREG, kind: kind)
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

    /// At most `limit` bytes of `path` (a file, pipe or device); more than that throws
    /// `TooLarge` without reading further, so `/dev/zero` or a 3 GB file costs `limit` bytes.
    public static func read(_ path: String, limit: Int) throws -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FileSystemError(path: path, code: errno == 0 ? ENOENT : errno)
        }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: limit + 1) ?? Data()
        guard data.count <= limit else { throw TooLarge(path: path, limit: limit) }
        return data
    }

    /// A file over the size a reader allows.
    public struct TooLarge: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var limit: Int
        public var description: String { "\(path) is larger than \(limit) bytes" }

        /// Memberwise, spelled out so the other targets of the package can call it.
        package init(path: String, limit: Int) {
            self.path = path
            self.limit = limit
        }
    }

    /// `path` without its last component, lexically: `a/b` → `a`, `b` → ``, `/b` → `/`, `.` → ``.
    /// (Foundation's `deletingLastPathComponent` traps on `.` and `./` on Linux.)
    public static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "" }
        if slash == trimmed.startIndex { return "/" }
        var head = trimmed[..<slash]
        while head.count > 1, head.hasSuffix("/") { head.removeLast() }
        return String(head)
    }

    /// The last component of `path`, lexically: `a/b.png` → `b.png`, `a/` → `a`, `/` → `/`, `` → ``.
    public static func lastComponent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
        guard trimmed != "/", let slash = trimmed.lastIndex(of: "/") else { return String(trimmed) }
        return String(trimmed[trimmed.index(after: slash)...])
    }

    /// Creates `path`'s folder (and parents) as needed.
    public static func makeParent(of path: String) throws {
        let dir = parent(of: path)
        guard !dir.isEmpty, !exists(dir) else { return }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    /// Writes `data` to `path` atomically: a temp file beside it, fsync, rename.
    public static func writeAtomically(_ data: Data, to path: String, sync: Bool = true) throws {
        try makeParent(of: path)
        let dir = parent(of: path)
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

    /// Makes the names in folder `path` durable (a rename or a new file in it survives a crash).
    public static func syncDirectory(_ path: String) throws(FileSystemError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(path: path, code: errno, operation: "open") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileSystemError(path: path, code: errno, operation: "fsync") }
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
        var dir = parent(of: path)
        while dir.count > root.count, dir.hasPrefix(root) {
            guard rmdir(dir) == 0 else { return }
            dir = parent(of: dir)
        }
    }
}

extension FileOps {
    /// `path` (absolute) with every symbolic link resolved and `.`/`..` removed. The part that
    /// does not exist yet is kept as written (lexically normalized) after its nearest existing
    /// folder's real path, so a missing file inside a symlinked folder resolves through the link.
    public static func realPath(_ path: String) -> String {
        var existing = path
        var rest: [String] = []
        while !existing.isEmpty, existing != "/" {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                return normalized(String(cString: resolved) + "/" + rest.reversed().joined(separator: "/"))
            }
            rest.append(lastComponent(of: existing))
            existing = parent(of: existing)
        }
        return normalized("/" + rest.reversed().joined(separator: "/"))
    }

    /// An absolute path with `.`, `..` and empty components removed, lexically.
    public static func normalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { _ = parts.popLast(); continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether `path` is `folder` or inside it (both absolute and normalized).
    public static func isInside(_ path: String, folder: String) -> Bool {
        folder == "/" || path == folder || path.hasPrefix(folder.hasSuffix("/") ? folder : folder + "/")
    }
}
