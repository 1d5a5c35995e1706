import Foundation
import Synchronization
import Yams
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// `assetbuild.lock`, read back: per target, the action key and each output's path and sha256.
/// With outputs committed beside it, a fresh clone with no cache is up to date (DESIGN §2).
public struct LockFile: Sendable {
    public struct Entry: Sendable, Hashable {
        public var key: String
        public var outputs: [(path: String, sha256: String)]

        public static func == (a: Entry, b: Entry) -> Bool {
            a.key == b.key && a.outputs.map(\.path) == b.outputs.map(\.path) && a.outputs.map(\.sha256) == b.outputs.map(\.sha256)
        }

        public func hash(into h: inout Hasher) { h.combine(key) }

        /// Memberwise, spelled out so the other targets of the package can call it.
        package init(key: String, outputs: [(path: String, sha256: String)]) {
            self.key = key
            self.outputs = outputs
        }
    }

    public var targets: [String: Entry]
    /// Each `pin: true` URL and the sha256 of the image it was pinned to.
    public var pins: [String: String] = [:]

    public init(targets: [String: Entry], pins: [String: String] = [:]) {
        self.targets = targets
        self.pins = pins
    }

    /// The lock beside a manifest, or an empty one when there is none or it cannot be read.
    /// Composed with Yams' basic resolver: every scalar stays the string it is written as (a hex
    /// digest such as `123e4…` must never turn into a number), and no regular expression runs per
    /// scalar, so a 10,000-target lock reads in a small part of what `Yams.load` takes.
    public static func read(_ path: String, fileSystem: any FileSystem = LocalFileSystem()) -> LockFile {
        guard let data = try? fileSystem.read(path), let text = String(data: data, encoding: .utf8),
              let root = try? Yams.compose(yaml: text, .basic) else { return LockFile(targets: [:]) }
        func string(_ node: Node?) -> String? { node?.scalar?.string }
        func mapping(_ node: Node?) -> [(String, Node)] {
            (node?.mapping ?? [:]).compactMap { pair in string(pair.key).map { ($0, pair.value) } }
        }
        let top = Dictionary(mapping(root), uniquingKeysWith: { a, _ in a })
        var out: [String: Entry] = [:]
        for (name, value) in mapping(top["targets"]) {
            let fields = Dictionary(mapping(value), uniquingKeysWith: { a, _ in a })
            guard let key = string(fields["key"]) else { continue }
            let outputs = (fields["outputs"]?.sequence ?? []).compactMap { o -> (String, String)? in
                let f = Dictionary(mapping(o), uniquingKeysWith: { a, _ in a })
                guard let p = string(f["path"]), let s = string(f["sha256"]) else { return nil }
                return (p, s)
            }
            out[name] = Entry(key: key, outputs: outputs)
        }
        var pins: [String: String] = [:]
        for (url, sha) in mapping(top["pins"]) { if let s = string(sha) { pins[url] = s } }
        return LockFile(targets: out, pins: pins)
    }
}

/// `assetbuild.lock`, read on first use. Only a target with no cached result for its key needs it
/// (a fresh clone with committed outputs), so an ordinary build of thousands of targets never
/// parses it: at 10,000 targets that parse alone cost about 0.4 s.
public final class LazyLockFile: Sendable {
    private let path: String?
    private let fileSystem: any FileSystem
    /// Read once, under the lock, so concurrent first uses parse it once.
    private let value: Mutex<LockFile?>

    public init(path: String, fileSystem: any FileSystem = LocalFileSystem()) {
        self.path = path
        self.fileSystem = fileSystem
        self.value = Mutex(nil)
    }

    public init(_ lockFile: LockFile) {
        self.path = nil
        self.fileSystem = LocalFileSystem()
        self.value = Mutex(lockFile)
    }

    public var lockFile: LockFile {
        value.withLock { value in
            if let value { return value }
            let read = path.map { LockFile.read($0, fileSystem: fileSystem) } ?? LockFile(targets: [:])
            value = read
            return read
        }
    }
}
