import Foundation
import Synchronization
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// The digest and shape of one input file.
public struct InputFile: Sendable, Hashable {
    public var path: String
    public var sha256: String
    public var size: Int64
    public var format: ImageFormat?
    public var width: Int
    public var height: Int

    /// Memberwise, spelled out so the other targets of the package can call it.
    package init(path: String, sha256: String, size: Int64, format: ImageFormat? = nil, width: Int, height: Int) {
        self.path = path
        self.sha256 = sha256
        self.size = size
        self.format = format
        self.width = width
        self.height = height
    }
}

/// Reference files, hashed by content and memoized by (path, size, mtime_ns, inode), so a build
/// whose inputs did not change reads no image bytes. New digests are collected and written back
/// in one transaction at the end.
public final class InputFiles: Sendable {
    private struct State {
        /// Digests known from earlier builds, by path (and those made since).
        package var memo: [String: FileDigestRecord]
        /// Digests made by this build: written back at its end.
        package var fresh: [String: FileDigestRecord] = [:]
        /// This build's answers, by path: each file is statted once.
        package var known: [String: InputFile] = [:]
        /// The same for files that are not images (overlays, fonts): their SHA-256.
        package var knownContent: [String: String] = [:]
        /// Overlay files read by this build: whether each is a picture libvips can draw.
        package var drawable: [String: Bool] = [:]
    }

    private let state: Mutex<State>
    /// Where reference files are read.
    let fileSystem: any FileSystem

    func knownContent(_ path: String) -> String? { state.withLock { $0.knownContent[path] } }
    func memoRecord(_ path: String) -> FileDigestRecord? { state.withLock { $0.memo[path] } }
    func drawable(_ path: String) -> Bool? { state.withLock { $0.drawable[path] } }
    func remember(drawable: Bool, for path: String) { state.withLock { $0.drawable[path] = drawable } }
    func remember(content sha: String, for path: String, record: FileDigestRecord?) {
        state.withLock {
            $0.knownContent[path] = sha
            if let record {
                $0.fresh[path] = record
                $0.memo[path] = record
            }
        }
    }

    /// Pinned URLs (`pin: true`) and the bytes they had, and why the ones not pinned failed.
    public let pins: [String: PinRecord]
    public let pinFailures: [String: String]

    public init(memo: [String: FileDigestRecord], pins: [String: PinRecord] = [:], pinFailures: [String: String] = [:],
                fileSystem: any FileSystem = LocalFileSystem()) {
        self.state = Mutex(State(memo: memo))
        self.fileSystem = fileSystem
        self.pins = pins
        self.pinFailures = pinFailures
    }

    /// The pinned bytes of `url`, or an error saying why there are none.
    public func pinned(_ url: String, target: String) throws -> PinRecord {
        if let pin = pins[url] { return pin }
        throw InputError(target: target, message: pinFailures[url]
            ?? "pinned URL \(url) is not downloaded yet; 'assetbuild build' downloads it once ('plan' and 'status' do not)")
    }

    /// Records to write back: only files whose stat changed since they were last hashed.
    public var newRecords: [FileDigestRecord] {
        state.withLock { Array($0.fresh.values) }
    }

    public enum Problem: Error, Sendable {
        case missing
        /// A folder, FIFO, socket or device: `kind` says which.
        case notRegular(kind: String)
        /// Over the service's limit: not read at all.
        case tooLarge(bytes: Int64)
        case unreadable(String)
        case notAnImage(String)
        /// A recognised image whose end is missing (an interrupted download or copy).
        case cutShort(String)
    }

    /// The digest of the file at an absolute path; reads and probes it only when its stat changed.
    public func digest(_ path: String) throws(Problem) -> InputFile {
        if let hit = state.withLock({ $0.known[path] }) { return hit }
        guard let st = fileSystem.stat(path) else { throw .missing }
        // Never open what is not a plain file (a FIFO blocks, /dev/zero never ends), and never
        // read a file the service would refuse anyway: a 3 GB file costs a stat, not 3 GB.
        guard st.isRegular else { throw .notRegular(kind: st.kind) }
        guard st.size <= Int64(ModelCatalog.maxReferenceBytes) else { throw .tooLarge(bytes: st.size) }
        if let m = state.withLock({ $0.memo[path] }), m.size == st.size, m.mtimeNs == st.mtimeNs, m.inode == st.inode,
           let format = m.format.flatMap(ImageFormat.init(rawValue:)) {
            let file = InputFile(path: path, sha256: m.sha256, size: m.size, format: format, width: m.width, height: m.height)
            state.withLock { $0.known[path] = file }
            return file
        }
        let data: Data
        do {
            data = try fileSystem.read(path, limit: ModelCatalog.maxReferenceBytes)
        } catch let error as FileOps.TooLarge {
            throw .tooLarge(bytes: Int64(error.limit) + 1)   // it grew since the stat
        } catch {
            throw .unreadable("\(error)")
        }
        let info: ImageInfo
        do { info = try ImageProbe.probeWhole(data) } catch {
            if case .incomplete = error { throw .cutShort("\(error)") }
            throw .notAnImage("\(error)")
        }
        let sha = SHA256.hash(data).hex
        let file = InputFile(path: path, sha256: sha, size: Int64(data.count), format: info.format,
                             width: info.width, height: info.height)
        let record = FileDigestRecord(path: path, size: st.size, mtimeNs: st.mtimeNs, inode: st.inode, sha256: sha,
                                      format: info.format.rawValue, width: info.width, height: info.height)
        state.withLock {
            $0.known[path] = file
            $0.fresh[path] = record
            $0.memo[path] = record
        }
        return file
    }

    /// Checks every file reference of the manifest against its model's limits (ark-api.md §4).
    /// Nothing is sent anywhere until these pass.
    /// `mayRead` leaves out files the manifest may not read (reported by the manifest's checks).
    public func check(_ manifest: Manifest, mayRead: (String) -> Bool = { _ in true }) -> [Diagnostic] {
        var out: [Diagnostic] = []
        for target in manifest.targets {
            if let derived = target.derived { out += checkOverlays(derived, directory: manifest.directory, mayRead: mayRead) }
            guard let spec = target.image else { continue }
            let m = spec.modelInfo
            for ref in spec.references {
                if case .url(let url, pin: true) = ref.value.source, let pin = pins[url] {
                    let f = InputFile(path: url, sha256: pin.object.hex, size: Int64(pin.byteCount), format: pin.format,
                                      width: pin.width, height: pin.height)
                    out += Self.limits(f, label: url, model: spec.modelIsKnown ? m : nil, at: ref.location)
                    continue
                }
                guard case .file(let rel) = ref.value.source, mayRead(rel) else { continue }
                let path = rel.hasPrefix("/") ? rel : manifest.directory + "/" + rel
                do throws(Problem) {
                    let f = try digest(path)
                    out += Self.limits(f, label: rel, model: spec.modelIsKnown ? m : nil, at: ref.location)
                } catch {
                    out.append(Self.diagnostic(error, label: rel, directory: manifest.directory, at: ref.location))
                }
            }
        }
        return out
    }

    /// What is wrong with reference file `label` (as written), for validation and the build alike.
    package static func diagnostic(_ problem: Problem, label rel: String, directory: String, at location: SourceLocation?,
                                   what: String = "reference file") -> Diagnostic {
        switch problem {
        case .missing:
            return .error("\(what) '\(rel)' not found; paths are relative to the manifest's folder\(didYouMean(rel, directory: directory))",
                          at: location)
        case .notRegular(let kind):
            let advice = what == "reference file" ? "references must be image files" : "name an SVG or PNG file"
            return .error("\(what) '\(rel)' is \(kind), not a regular file; \(advice)", at: location)
        case .tooLarge(let bytes):
            guard what == "reference file" else {
                return .error("\(what) '\(rel)' is \(bytes / 1_048_576) MB; at most \(maxContentBytes / 1_048_576) MB is read", at: location)
            }
            return tooLarge(label: rel, bytes: bytes, at: location)
        case .unreadable(let why):
            return .error("\(what) '\(rel)' cannot be read: \(why)", at: location)
        case .notAnImage(let why):
            return .error("reference file '\(rel)' is not a usable image: \(why)", at: location,
                          notes: ["references must be jpeg, png, webp, bmp, tiff or gif files"])
        case .cutShort(let why):
            return .error("reference file '\(rel)' is not a usable image: \(why)", at: location)
        }
    }

    package static func tooLarge(label: String, bytes: Int64, at location: SourceLocation?) -> Diagnostic {
        let mb = String(format: "%.1f", Double(bytes) / 1_048_576)
        return .error("reference '\(label)' is \(mb) MB; the service takes at most 10 MB; recompress or scale it down", at: location)
    }

    /// Checks an upstream target's real output before it is sent (a preset's pixels are known
    /// only once the image exists): a message for `InputError`, or nil when it may be sent.
    public static func checkUpstreamImage(_ image: ActionImage, label: String, upstream: String,
                                          model: ImageModel) -> String? {
        let problems = ImageModel.outputProblems(width: image.width, height: image.height, byteCount: image.byteCount, model: model)
        guard !problems.isEmpty else { return nil }
        return "reference '\(label)' is \(image.width)x\(image.height) (as '\(upstream)' came out): "
            + problems.joined(separator: "; ")
            + "; change the size of '\(upstream)' (a WxH size fixes its shape), or reference another image; nothing was sent for this target"
    }

    /// `; did you mean 'refs/product.png'?` when a file beside the missing one has a close name.
    package static func didYouMean(_ rel: String, directory: String) -> String {
        SpellCheck.didYouMeanFile(rel, directory: directory)
    }

    /// The service's limits for one reference image; with no `model` (its id is unknown) only
    /// the limits every model shares.
    package static func limits(_ f: InputFile, label: String, model m: ImageModel?, at location: SourceLocation) -> [Diagnostic] {
        var out: [Diagnostic] = []
        if let m, let format = f.format, !m.referenceFormats.contains(format.rawValue) {
            let allowed = m.referenceFormats.sorted().joined(separator: ", ")
            out.append(.error("reference '\(label)' is \(format.rawValue); \(m.id) takes \(allowed); convert it to one of these", at: location))
        }
        if f.size > Int64(ModelCatalog.maxReferenceBytes) { out.append(tooLarge(label: label, bytes: f.size, at: location)) }
        if f.width <= ModelCatalog.minReferenceSide || f.height <= ModelCatalog.minReferenceSide {
            out.append(.error("reference '\(label)' is \(f.width)x\(f.height) pixels; width and height must each be more than 14; use a larger image",
                              at: location))
        }
        if ImageModel.pixelCount(f.width, f.height) > ModelCatalog.maxReferencePixels {
            out.append(.error("reference '\(label)' is \(f.width)x\(f.height) = \(ImageModel.pixelCount(f.width, f.height)) pixels; the service takes at most 6000x6000 = 36000000; scale it down",
                              at: location))
        }
        let ratio = Double(f.width) / Double(max(1, f.height))
        if let m, f.width > 0, f.height > 0, !m.referenceAspectRange.contains(ratio) {
            let range = m.referenceAspectRange.lowerBound < 0.1 ? "1:16 to 16:1" : "1:3 to 3:1"
            out.append(.error("reference '\(label)' has aspect ratio \(ImageModel.describeRatio(f.width, f.height)); \(m.id) takes \(range); crop it",
                              at: location))
        }
        return out
    }
}
