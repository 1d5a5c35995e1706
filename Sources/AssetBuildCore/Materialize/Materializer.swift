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

    /// Writes `output`'s files for `target`; returns the records of files (re)written. A file in
    /// the way that assetbuild did not write fails the target and is left as it is (DESIGN §2),
    /// unless it already holds exactly the bytes to write (then it is adopted, not rewritten).
    public func materialize(_ target: Target, output: TargetOutput,
                            existing: [String: MaterializedRecord]) throws -> [MaterializedRecord] {
        var written: [MaterializedRecord] = []
        // Refuse before writing anything, so a target never ends half materialized.
        let foreign = foreignFiles(for: target, images: output.images, existing: existing)
        if let first = foreign.first {
            throw InputError(target: target.name, message: Self.refusal(first, more: foreign.count - 1,
                                                                        target: target, buildRoot: buildRoot))
        }
        for image in output.images {
            let rel = target.outputPath(imageNumber: image.index + 1)
            let path = buildRoot + "/" + rel
            if let rec = existing[rel], rec.object == image.object, rec.target == target.name,
               let st = FileOps.stat(path), st.size == rec.size, st.mtimeNs == rec.mtimeNs, st.inode == rec.inode {
                continue
            }
            if existing[rel] == nil, let st = FileOps.stat(path), !st.isDirectory,
               (try? SHA256.hash(fileAt: path).hex) == image.object.hex {
                // Not recorded but already the right bytes (a build killed before it recorded the
                // file, or a copy of the output): adopt it as it is.
                written.append(MaterializedRecord(path: rel, target: target.name, object: image.object, size: st.size,
                                                  mtimeNs: st.mtimeNs, inode: st.inode))
                continue
            }
            try FileOps.copyAtomically(from: cache.objects.path(for: image.object), to: path)
            guard let st = FileOps.stat(path) else { throw FileSystemError(path: path, code: ENOENT) }
            written.append(MaterializedRecord(path: rel, target: target.name, object: image.object, size: st.size,
                                              mtimeNs: st.mtimeNs, inode: st.inode))
        }
        return written
    }

    /// Output paths of `target` (relative to the build directory) where a file exists that
    /// assetbuild did not write: no materialized record and no entry in `build/assetbuild.json`
    /// (which a fresh clone with committed outputs has instead of records) names the path, and
    /// its bytes are not the image to write. Such a file is the user's and must not be replaced.
    public func foreignFiles(for target: Target, images: [ActionImage],
                             existing: [String: MaterializedRecord]) -> [String] {
        foreignFiles(for: target, places: images.map { ($0.index + 1, $0.object) }, existing: existing)
    }

    /// Checked before a target's request is sent, so nothing is paid for that could not be
    /// written: a refusal naming the first of its `count` output paths where a file assetbuild
    /// did not write sits; nil when none is in the way. The images are not known yet, so a file
    /// there is the user's whatever its bytes.
    public func refusalBeforeSending(_ target: Target, count: Int, existing: [String: MaterializedRecord]) -> String? {
        let foreign = foreignFiles(for: target, places: (1...max(1, count)).map { ($0, nil) }, existing: existing)
        guard let first = foreign.first else { return nil }
        return Self.refusal(first, more: foreign.count - 1, target: target, buildRoot: buildRoot, paid: false)
    }

    /// The paths of `places` (image number, and the image it will hold when known) that hold a
    /// file assetbuild did not write.
    func foreignFiles(for target: Target, places: [(number: Int, object: ObjectID?)],
                      existing: [String: MaterializedRecord]) -> [String] {
        var out: [String] = []
        var recorded: Set<String>?
        for place in places {
            let rel = target.outputPath(imageNumber: place.number)
            guard existing[rel] == nil, let st = FileOps.stat(buildRoot + "/" + rel) else { continue }
            if !st.isDirectory, let object = place.object,
               (try? SHA256.hash(fileAt: buildRoot + "/" + rel).hex) == object.hex { continue }
            if recorded == nil { recorded = recordedOutputs() }
            if !st.isDirectory, recorded!.contains(rel) { continue }
            out.append(rel)
        }
        return out
    }

    /// Output paths listed in `build/assetbuild.json` (read only when a file is in the way).
    func recordedOutputs() -> Set<String> {
        guard let data = FileManager.default.contents(atPath: buildRoot + "/assetbuild.json"),
              let record = try? JSONDecoder().decode(BuildRecord.self, from: data) else { return [] }
        return Set(record.targets.values.flatMap { $0.outputs.map(\.path) })
    }

    /// `paid`: the images exist already (kept in the cache), or nothing was sent for them yet.
    static func refusal(_ rel: String, more: Int, target: Target, buildRoot: String, paid: Bool = true) -> String {
        let shown = (buildRoot as NSString).lastPathComponent + "/" + rel
        let also = more > 0 ? " (and \(more) more of its outputs)" : ""
        let fix = target.output == nil ? "give '\(target.name)' an 'output:' elsewhere" : "change 'output:' of '\(target.name)'"
        let after = paid ? "the images are kept in the cache, so the next build sends no request for them"
            : "nothing was sent for this target"
        return "'\(shown)'\(also) exists and was not written by assetbuild, so it is left untouched; move or delete it, or \(fix); \(after)"
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
