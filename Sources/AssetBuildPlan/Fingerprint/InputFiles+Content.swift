import Foundation
import AssetBuildSupport

extension InputFiles {
    /// The largest overlay or font file read: a logo or a font is kilobytes to a few megabytes.
    public static let maxContentBytes = 64 * 1024 * 1024

    /// SHA-256 of a file that is an input but not a reference image (an overlay's SVG or PNG, a
    /// font), memoized by stat like reference images: a build whose inputs did not change reads
    /// none of their bytes.
    public func contentDigest(_ path: String) throws(Problem) -> String {
        if let hit = knownContent(path) { return hit }
        guard let st = fileSystem.stat(path) else { throw .missing }
        guard st.isRegular else { throw .notRegular(kind: st.kind) }
        guard st.size <= Int64(Self.maxContentBytes) else { throw .tooLarge(bytes: st.size) }
        if let m = memoRecord(path), m.size == st.size, m.mtimeNs == st.mtimeNs, m.inode == st.inode {
            remember(content: m.sha256, for: path, record: nil)
            return m.sha256
        }
        let data: Data
        do {
            data = try fileSystem.read(path, limit: Self.maxContentBytes)
        } catch let error as FileOps.TooLarge {
            throw .tooLarge(bytes: Int64(error.limit) + 1)
        } catch {
            throw .unreadable("\(error)")
        }
        let sha = SHA256.hash(data).hex
        remember(content: sha, for: path,
                 record: FileDigestRecord(path: path, size: st.size, mtimeNs: st.mtimeNs, inode: st.inode, sha256: sha))
        return sha
    }
}
