import Foundation
import Yams

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
    }

    public var targets: [String: Entry]
    /// Each `pin: true` URL and the sha256 of the image it was pinned to.
    public var pins: [String: String] = [:]

    public init(targets: [String: Entry], pins: [String: String] = [:]) {
        self.targets = targets
        self.pins = pins
    }

    /// The lock beside a manifest, or an empty one when there is none or it cannot be read.
    public static func read(_ path: String) -> LockFile {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let root = (try? Yams.load(yaml: text)) as? [String: Any],
              let targets = root["targets"] as? [String: Any] else { return LockFile(targets: [:]) }
        let pins = (root["pins"] as? [String: Any] ?? [:]).compactMapValues { $0 as? String }
        var out: [String: Entry] = [:]
        for (name, value) in targets {
            guard let t = value as? [String: Any], let key = t["key"] as? String else { continue }
            let outputs = (t["outputs"] as? [[String: Any]] ?? []).compactMap { o -> (String, String)? in
                guard let p = o["path"] as? String, let s = o["sha256"] as? String else { return nil }
                return (p, s)
            }
            out[name] = Entry(key: key, outputs: outputs)
        }
        return LockFile(targets: out, pins: pins)
    }
}
