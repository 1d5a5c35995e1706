import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// `build/assetbuild.json`: what was built, from what, and how it came out (DESIGN §2).
/// Machine-readable; no secret ever appears in it.
public struct BuildRecord: Codable, Sendable {
    public struct Output: Codable, Sendable, Hashable {
        public var path: String
        public var sha256: String
        public var width: Int?
        public var height: Int?
        public var bytes: Int
    }

    /// An image of a group that did not arrive; `image` counts from 1, like the file names.
    public struct Failure: Codable, Sendable, Hashable {
        public var image: Int
        public var code: String
        public var message: String
    }

    public struct Entry: Codable, Sendable {
        public var kind: String
        public var actionKey: String
        public var provider: String
        public var model: String
        public var prompt: String
        public var size: String?
        public var imagesRequested: Int?
        public var outputs: [Output]
        public var failures: [Failure]
        public var usage: Usage?
        public var requestIds: [String]
        public var generatedAt: String
        /// `failed` for a target whose last request failed (absent for a result): then `outputs`
        /// are the images it wrote into the build directory, if any, and `error` says why.
        public var status: String?
        public var error: String?

        package enum CodingKeys: String, CodingKey {
            case kind, actionKey = "action_key", provider, model, prompt, size, imagesRequested = "images_requested"
            case outputs, failures, usage, requestIds = "request_ids", generatedAt = "generated_at", status, error
        }
    }

    public var version = 1
    public var generator = "assetbuild \(AssetBuildVersion.current)"
    public var manifest: String
    public var targets: [String: Entry]

    /// Builds the record from each target's last successful state and its cached action.
    ///
    /// `knownComponents`: components by action key that the caller already has (this build's
    /// plan). The key hashes the components' canonical JSON, so a state of that key stores these
    /// very components, and decoding its JSON (~60 ms at 10,000 targets) would give them again.
    public static func make(manifest: Manifest, states: [String: TargetStateRecord],
                            actions: [String: ActionRecord],
                            knownComponents: [String: any KeyComponents] = [:]) -> BuildRecord {
        var entries: [String: Entry] = [:]
        let iso = ISO8601DateFormatter()
        for t in manifest.targets {
            guard let state = states[t.name], let action = actions[state.actionKey],
                  let entry = entry(t, actionKey: state.actionKey, action: action,
                                    components: knownComponents[state.actionKey], componentsJSON: state.componentsJSON, iso: iso)
            else { continue }
            entries[t.name] = entry
        }
        return BuildRecord(manifest: (manifest.path as NSString).lastPathComponent, targets: entries)
    }

    /// The entry of `t` for one action; `components` when the caller has them, else decoded from
    /// `componentsJSON` (the action's own when not given).
    package static func entry(_ t: Target, actionKey: String, action: ActionRecord, components known: (any KeyComponents)?,
                      componentsJSON: String? = nil, iso: ISO8601DateFormatter = ISO8601DateFormatter()) -> Entry? {
        guard let components = (known ?? Fingerprint.decode(recordJSON: componentsJSON ?? action.componentsJSON)?.0)?.summary
        else { return nil }
        let outputs = action.images.map { img in
            Output(path: t.outputPath(imageNumber: img.index + 1), sha256: img.object.hex,
                   width: action.kind == .text ? nil : img.width, height: action.kind == .text ? nil : img.height,
                   bytes: img.byteCount)
        }
        return Entry(
            kind: components.kind, actionKey: actionKey, provider: components.provider,
            model: action.model ?? components.model, prompt: components.prompt, size: components.size,
            imagesRequested: components.images, outputs: outputs,
            failures: action.failures.map { Failure(image: $0.index + 1, code: $0.code, message: $0.message) },
            usage: action.usage,
            requestIds: action.requestIDs, generatedAt: iso.string(from: action.finishedAt ?? action.createdAt))
    }

    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = (try? encoder.encode(self)) ?? Data()
        data.append(0x0A)
        return data
    }

    /// `assetbuild.lock` beside the manifest (checked in, like `dvc.lock`): per target the action
    /// key and the sha256 of each output. Deterministic text, so diffs read well in review.
    /// `pins`: each `pin: true` URL and the sha256 of the bytes it was pinned to.
    public func lockFile(pins: [String: String] = [:]) -> String {
        var out = "# assetbuild.lock: written by assetbuild; commit it, do not edit it.\n"
        out += "# Per target: the action key of its inputs and the sha256 of each output.\n"
        if !pins.isEmpty { out += "# Per pinned URL: the sha256 of the image it was pinned to.\n" }
        out += "version: 1\ntargets:\n"
        for (name, e) in targets.sorted(by: { $0.key < $1.key }) where e.status == nil {
            out += "  \(name):\n    key: \(e.actionKey)\n    outputs:\n"
            for o in e.outputs {
                out += "      - path: \(o.path)\n        sha256: \(o.sha256)\n"
            }
        }
        if !pins.isEmpty {
            out += "pins:\n"
            for (url, sha) in pins.sorted(by: { $0.key < $1.key }) {
                // A JSON string is a YAML double-quoted scalar: any URL is safe in it.
                let quoted = (try? JSONSerialization.data(withJSONObject: url, options: [.fragmentsAllowed, .withoutEscapingSlashes]))
                    .map { String(decoding: $0, as: UTF8.self) } ?? "\"\(url)\""
                out += "  \(quoted): \(sha)\n"
            }
        }
        return out
    }

    /// Writes `data` to `path` only when it differs, so a no-op build writes nothing.
    @discardableResult
    public static func writeIfChanged(_ data: Data, to path: String,
                                      fileSystem: any FileSystem = LocalFileSystem()) throws -> Bool {
        if let old = try? fileSystem.read(path), old == data { return false }
        try fileSystem.writeAtomically(data, to: path)
        return true
    }
}
