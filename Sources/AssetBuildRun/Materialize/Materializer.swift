import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// Writes outputs into the build directory from the object store, make-style: atomic writes,
/// files that already match are left alone, files assetbuild never wrote are never touched.
public struct Materializer: Sendable {
    public var cache: BuildCache
    /// Absolute path of the build directory.
    public var buildRoot: String
    /// Where the build directory's files are read and written.
    public var fileSystem: any FileSystem

    public init(cache: BuildCache, buildRoot: String, fileSystem: any FileSystem = LocalFileSystem()) {
        self.cache = cache
        self.buildRoot = buildRoot
        self.fileSystem = fileSystem
    }

    /// Writes `output`'s files for `target`; returns the records of files (re)written. A file in
    /// the way that assetbuild did not write, or that was changed by hand since it wrote it, fails
    /// the target and is left as it is (DESIGN §2), unless it already holds exactly the bytes to
    /// write (then it is adopted, not rewritten). Each object is hashed as it is copied: a damaged
    /// or missing one is never written into the build directory (see `checkedBytes`).
    public func materialize(_ target: Target, output: TargetOutput,
                            existing: [String: MaterializedRecord]) throws -> [MaterializedRecord] {
        var written: [MaterializedRecord] = []
        // Refuse before writing anything, so a target never ends half materialized.
        let inTheWay = occupiedPaths(for: target, places: output.images.map { ($0.index + 1, $0.object) }, existing: existing)
        if let first = inTheWay.first {
            throw InputError(target: target.name, message: Self.refusal(first, more: inTheWay.count - 1,
                                                                        target: target, buildRoot: buildRoot))
        }
        for image in output.images {
            let rel = target.outputPath(imageNumber: image.index + 1)
            let path = buildRoot + "/" + rel
            let st = fileSystem.stat(path)
            if let rec = existing[rel], rec.object == image.object, rec.target == target.name, let st, rec.matches(st) {
                continue
            }
            if let st, !st.isDirectory, (try? fileSystem.sha256(ofFileAt: path).hex) == image.object.hex {
                // Already the right bytes (a build killed before it recorded the file, a copy of
                // the output, or a file only touched): adopt it as it is. It is also the evidence
                // that repairs a lost or damaged object.
                if !cache.objects.contains(image.object) || !((try? cache.objects.verify(image.object)) ?? false) {
                    try? cache.objects.remove(image.object)
                    try cache.objects.put(fileSystem.read(path))
                }
                written.append(MaterializedRecord(path: rel, target: target.name, object: image.object, size: st.size,
                                                  mtimeNs: st.mtimeNs, inode: st.inode))
                continue
            }
            try fileSystem.writeAtomically(try checkedBytes(of: image, actionKey: output.actionKey, target: target, rel: rel), to: path)
            guard let st = fileSystem.stat(path) else { throw FileSystemError(path: path, code: ENOENT) }
            written.append(MaterializedRecord(path: rel, target: target.name, object: image.object, size: st.size,
                                              mtimeNs: st.mtimeNs, inode: st.inode))
        }
        return written
    }

    /// The object's bytes, hashed against its name. An object that is missing, or whose bytes hash
    /// to something else, is an image the cache has lost (the build directory was checked first and
    /// holds no copy either): a damaged object is deleted, the image is forgotten by its action so
    /// the next build asks again for that image only, and the target fails saying so.
    package func checkedBytes(of image: ActionImage, actionKey: String, target: Target, rel: String) throws -> Data {
        let problem: String
        do {
            return try cache.objects.read(image.object)
        } catch CacheError.missingObject(_, let path) {
            problem = "'\(path)' is missing"
        } catch CacheError.corruptObject(_, let path, let actual) {
            try? cache.objects.remove(image.object)
            problem = "'\(path)' is damaged (its bytes hash to \(actual.prefix(12))…) and was deleted"
        }
        try cache.forgetLostImages(actionKey: actionKey, indices: [image.index])
        let shown = (buildRoot as NSString).lastPathComponent + "/" + rel
        let which = target.requestedImages > 1 ? "image \(image.index + 1) of '\(target.name)'" : "the image of '\(target.name)'"
        throw InputError(target: target.name, message: """
            \(which) (sha256 \(image.object.hex.prefix(12))…) is lost from the cache: \(problem), and '\(shown)' \
            does not hold it either; the cache forgot it, so the next build asks for that image again \
            (run 'assetbuild cache verify' to check the other objects)
            """)
    }

    /// A file assetbuild must not replace, where an output goes.
    public enum Occupant: Sendable, Hashable {
        /// assetbuild did not write it.
        case foreign(String)
        /// assetbuild wrote it, and it was changed since (its bytes are neither what was written
        /// nor what is to be written).
        case modifiedByHand(String)

        public var path: String {
            switch self {
            case .foreign(let p), .modifiedByHand(let p): p
            }
        }
    }

    /// Output paths of `target` (relative to the build directory) holding a file that is the
    /// user's: one assetbuild did not write (no materialized record and no entry in
    /// `build/assetbuild.json`, which a fresh clone with committed outputs has instead of
    /// records), or one it wrote that was changed by hand since; in both cases only when its bytes
    /// are not the image to write. Such a file must not be replaced.
    public func foreignFiles(for target: Target, images: [ActionImage],
                             existing: [String: MaterializedRecord]) -> [Occupant] {
        occupiedPaths(for: target, places: images.map { ($0.index + 1, $0.object) }, existing: existing)
    }

    /// Checked before a target's request is sent, so nothing is paid for that could not be
    /// written: a refusal naming the first of its `count` output paths where a file of the user's
    /// sits; nil when none is in the way. The images are not known yet, so an unrecorded file
    /// there is the user's whatever its bytes.
    public func refusalBeforeSending(_ target: Target, count: Int, existing: [String: MaterializedRecord]) -> String? {
        let inTheWay = occupiedPaths(for: target, places: (1...max(1, count)).map { ($0, nil) }, existing: existing)
        guard let first = inTheWay.first else { return nil }
        return Self.refusal(first, more: inTheWay.count - 1, target: target, buildRoot: buildRoot, paid: false)
    }

    /// The files of `places` (image number, and the image it will hold when known) that are the
    /// user's. Bytes are read only where a file's stat moved since assetbuild wrote it, or where no
    /// record names it.
    package func occupiedPaths(for target: Target, places: [(number: Int, object: ObjectID?)],
                       existing: [String: MaterializedRecord]) -> [Occupant] {
        var out: [Occupant] = []
        var recorded: Set<String>?
        for place in places {
            let rel = target.outputPath(imageNumber: place.number)
            let full = buildRoot + "/" + rel
            guard let st = fileSystem.stat(full) else { continue }
            let digest = { st.isDirectory ? nil : try? fileSystem.sha256(ofFileAt: full).hex }
            if let rec = existing[rel] {
                if !st.isDirectory, rec.matches(st) { continue }
                if let d = digest(), d == rec.object.hex || d == place.object?.hex { continue }
                out.append(.modifiedByHand(rel))
                continue
            }
            if let object = place.object, digest() == object.hex { continue }
            if recorded == nil { recorded = recordedOutputs() }
            if !st.isDirectory, recorded!.contains(rel) { continue }
            out.append(.foreign(rel))
        }
        return out
    }

    /// Output paths listed in `build/assetbuild.json` (read only when a file is in the way).
    package func recordedOutputs() -> Set<String> {
        guard let data = try? fileSystem.read(buildRoot + "/assetbuild.json"),
              let record = try? JSONDecoder().decode(BuildRecord.self, from: data) else { return [] }
        return Set(record.targets.values.flatMap { $0.outputs.map(\.path) })
    }

    /// `paid`: the images exist already (kept in the cache), or nothing was sent for them yet.
    package static func refusal(_ occupant: Occupant, more: Int, target: Target, buildRoot: String, paid: Bool = true) -> String {
        let shown = (buildRoot as NSString).lastPathComponent + "/" + occupant.path
        let also = more > 0 ? " (and \(more) more of its outputs)" : ""
        let elsewhere = target.output == nil ? "give '\(target.name)' an 'output:' elsewhere" : "change 'output:' of '\(target.name)'"
        let after = paid ? "the images are kept in the cache, so the next build sends no request for them"
            : "nothing was sent for this target"
        switch occupant {
        case .foreign:
            return "'\(shown)'\(also) exists and was not written by assetbuild, so it is left untouched; move or delete it, or \(elsewhere); \(after)"
        case .modifiedByHand:
            return "'\(shown)'\(also) was changed by hand since assetbuild wrote it, so it is left untouched: to keep your "
                + "version, move it elsewhere (or \(elsewhere)); to discard it, delete it; then build again; \(after)"
        }
    }

    /// Removes files assetbuild wrote that are no longer declared (their objects stay in the
    /// cache). A file changed by hand since it was written is left in place and reported.
    public func removeStale(keeping declared: Set<String>, records: [String: MaterializedRecord],
                            warn: (String) -> Void) -> [String] {
        var removed: [String] = []
        for (rel, rec) in records.sorted(by: { $0.key < $1.key }) where !declared.contains(rel) {
            let path = buildRoot + "/" + rel
            guard let st = fileSystem.stat(path) else {
                removed.append(rel)   // already gone: just forget it
                continue
            }
            let sameBytes = rec.matches(st) || (try? fileSystem.sha256(ofFileAt: path).hex) == rec.object.hex
            guard sameBytes else {
                warn("'\(rel)' is no longer declared but was changed by hand; left in place")
                removed.append(rel)
                continue
            }
            if (try? fileSystem.remove(path)) != nil {
                fileSystem.pruneEmptyParents(of: path, root: buildRoot)
                removed.append(rel)
            }
        }
        return removed
    }
}

extension MaterializedRecord {
    /// The file still has the stat it had right after assetbuild wrote it.
    package func matches(_ st: FileStat) -> Bool {
        st.size == size && st.mtimeNs == mtimeNs && st.inode == inode
    }
}
