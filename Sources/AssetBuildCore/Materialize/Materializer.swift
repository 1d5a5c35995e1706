import Foundation

/// Writes outputs into the build directory from the object store, make-style: atomic writes,
/// files that already match are left alone, files assetbuild never wrote are never touched.
public struct Materializer: Sendable {
    public var cache: BuildCache
    /// Absolute path of the build directory.
    public var buildRoot: String

    public init(cache: BuildCache, buildRoot: String) {
        self.cache = cache
        self.buildRoot = buildRoot
    }

    /// Writes `output`'s files for `target`; returns the records of files (re)written.
    public func materialize(_ target: Target, output: TargetOutput,
                            existing: [String: MaterializedRecord]) throws -> [MaterializedRecord] {
        var written: [MaterializedRecord] = []
        for image in output.images {
            let rel = target.outputPath(imageNumber: image.index + 1)
            let path = buildRoot + "/" + rel
            if let rec = existing[rel], rec.object == image.object, rec.target == target.name,
               let st = FileOps.stat(path), st.size == rec.size, st.mtimeNs == rec.mtimeNs, st.inode == rec.inode {
                continue
            }
            try FileOps.copyAtomically(from: cache.objects.path(for: image.object), to: path)
            guard let st = FileOps.stat(path) else { throw FileSystemError(path: path, code: ENOENT) }
            written.append(MaterializedRecord(path: rel, target: target.name, object: image.object, size: st.size,
                                              mtimeNs: st.mtimeNs, inode: st.inode))
        }
        return written
    }

    /// Removes files assetbuild wrote that are no longer declared (their objects stay in the
    /// cache). A file changed by hand since it was written is left in place and reported.
    public func removeStale(keeping declared: Set<String>, records: [String: MaterializedRecord],
                            warn: (String) -> Void) -> [String] {
        var removed: [String] = []
        for (rel, rec) in records.sorted(by: { $0.key < $1.key }) where !declared.contains(rel) {
            let path = buildRoot + "/" + rel
            guard let st = FileOps.stat(path) else {
                removed.append(rel)   // already gone: just forget it
                continue
            }
            let untouched = st.size == rec.size && st.mtimeNs == rec.mtimeNs && st.inode == rec.inode
            let sameBytes = untouched || (try? SHA256.hash(fileAt: path).hex) == rec.object.hex
            guard sameBytes else {
                warn("'\(rel)' is no longer declared but was changed by hand; left in place")
                removed.append(rel)
                continue
            }
            if (try? FileOps.remove(path)) != nil {
                FileOps.pruneEmptyParents(of: path, root: buildRoot)
                removed.append(rel)
            }
        }
        return removed
    }
}
