import Foundation
import AssetBuildSupport
import AssetBuildImaging
import AssetBuildManifest

extension InputFiles {
    /// The largest overlay or font file read: a logo or a font is kilobytes to a few megabytes.
    public static let maxContentBytes = 64 * 1024 * 1024

    /// SHA-256 of a file that is an input but not a reference image (an overlay's SVG or PNG, a
    /// font), memoized by stat like reference images: a build whose inputs did not change reads
    /// none of their bytes.
    public func contentDigest(_ path: String) throws(Problem) -> String {
        try content(path).sha256
    }

    /// The file's SHA-256, and its bytes when they had to be read for it (nil when the digest was
    /// known: hashed earlier in this build, or by an earlier one with the same stat).
    func content(_ path: String) throws(Problem) -> (sha256: String, bytes: Data?) {
        if let hit = knownContent(path) { return (hit, nil) }
        guard let st = fileSystem.stat(path) else { throw .missing }
        guard st.isRegular else { throw .notRegular(kind: st.kind) }
        guard st.size <= Int64(Self.maxContentBytes) else { throw .tooLarge(bytes: st.size) }
        if let m = memoRecord(path), m.size == st.size, m.mtimeNs == st.mtimeNs, m.inode == st.inode {
            remember(content: m.sha256, for: path, record: nil)
            return (m.sha256, nil)
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
        return (sha, data)
    }
}

extension InputFiles {
    /// Checks a derived target's overlay files before anything runs (that each is there is the
    /// manifest's check): each is readable, and a picture libvips can draw (PNG, JPEG, WebP, GIF,
    /// TIFF or SVG), so a bad logo is an error at its line, never a failure after the source
    /// image was paid for. Each changed file is read once, for its digest and this look.
    func checkOverlays(_ spec: DerivedSpec, directory: String, mayRead: (String) -> Bool) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for overlay in spec.overlays {
            guard case .image(let o) = overlay.value, mayRead(o.file) else { continue }
            let path = o.file.hasPrefix("/") ? o.file : directory + "/" + o.file
            let bytes: Data?
            do throws(Problem) {
                bytes = try content(path).bytes
            } catch {
                // A missing file or a folder is the manifest's own check (at the file's name).
                switch error {
                case .missing, .notRegular: break
                default: out.append(Self.diagnostic(error, label: o.file, directory: directory, at: overlay.location, what: "overlay file"))
                }
                continue
            }
            // The bytes just hashed are the ones looked at (one read); a file another overlay
            // named has its verdict; one whose digest was known by stat is read only for the look.
            let drawable: Bool
            if let known = self.drawable(path) {
                drawable = known
            } else {
                guard let data = bytes ?? (try? fileSystem.read(path, limit: Self.maxContentBytes)) else { continue }
                drawable = (try? ImageProbe.probe(data)) != nil || Self.looksLikeSVG(data)
                remember(drawable: drawable, for: path)
            }
            if !drawable {
                out.append(.error("overlay file '\(o.file)' is not a picture libvips can draw; use a PNG (with transparency) or an SVG file",
                                  at: overlay.location))
            }
        }
        return out
    }

    /// An SVG document, as far as a cheap look tells: `<svg` within its first 4 KB (after any
    /// XML declaration, comments or doctype). libvips' own loader has the last word.
    static func looksLikeSVG(_ data: Data) -> Bool {
        let head = String(decoding: data.prefix(4096), as: UTF8.self).lowercased()
        return head.contains("<svg")
    }
}
