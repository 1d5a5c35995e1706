import Foundation
import AssetBuildSupport
import AssetBuildDeriveSpec
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// A finished target's output, as downstream targets see it.
public struct TargetOutput: Sendable {
    public var actionKey: String
    /// Image targets: what arrived, sorted by index.
    public var images: [ActionImage]
    /// Text targets: the reply (JSON text for JSON targets).
    public var text: String?
    /// Images of a group that failed (moderation, internal errors), by index.
    public var failures: [ImageFailure]

    public init(actionKey: String, images: [ActionImage], text: String? = nil, failures: [ImageFailure] = []) {
        self.actionKey = actionKey
        self.images = images
        self.text = text
        self.failures = failures
    }
}

/// Where a reference image's bytes come from, once resolved.
public enum ReferenceSource: Sendable, Hashable {
    case file(path: String, format: ImageFormat)
    case object(ObjectID, format: ImageFormat)
    case url(String)
}

/// Errors that stop one target (not the manifest): a missing field, a file that vanished.
public struct InputError: Error, Sendable, CustomStringConvertible {
    public var target: String
    public var message: String
    /// `target: message`, the name said once even when the message quotes an error that
    /// already begins with it (a provider error kept for a group cut short).
    public var description: String { message.hasPrefix("\(target): ") ? message : "\(target): \(message)" }

    /// Memberwise, spelled out so the other targets of the package can call it.
    package init(target: String, message: String) {
        self.target = target
        self.message = message
    }
}

/// Computes action keys: hands each target's action what it reads (`KeyInputs`). Downstream keys
/// use the upstream's output bytes, so an upstream rebuild that yields identical bytes changes
/// nothing below it (early cutoff).
public struct Fingerprinter: Sendable {
    public var provider: String
    public var directory: String
    public var inputs: InputFiles
    /// libvips' version and the fonts, for derived targets' keys (nil when nothing derives).
    public var derive: DeriveFacts?

    public init(provider: String, directory: String, inputs: InputFiles, derive: DeriveFacts? = nil) {
        self.provider = provider
        self.directory = directory
        self.inputs = inputs
        self.derive = derive
    }

    /// The key and inputs of `action`, or nil when an upstream output is not known yet.
    public func fingerprint(_ action: any PlannedAction, upstream: (String) -> TargetOutput?) throws -> ResolvedAction? {
        try withoutActuallyEscaping(upstream) { upstream in
            try action.resolve(KeyInputs(provider: provider, directory: directory, files: inputs, upstream: upstream, derive: derive))
        }
    }
}

/// What a kind of action reads to compute its key: upstream outputs, the manifest's folder, the
/// digests of input files and pinned URLs, and the provider's name.
public struct KeyInputs {
    public var provider: String
    public var directory: String
    public var files: InputFiles
    /// A finished upstream target's output; nil while it is not known.
    public var upstream: (String) -> TargetOutput?
    /// libvips' version and the fonts (gathered before planning when some target derives).
    public var derive: DeriveFacts?

    /// `template` with every `${target.field}` filled in from the upstream replies; nil while an
    /// upstream output is not known.
    public func render(_ template: Template, for target: Target) throws -> String? {
        var unresolved = false
        let text = try template.render { name, path in
            guard let out = upstream(name) else { unresolved = true; return "" }
            guard let text = out.text else {
                throw InputError(target: target.name, message: "'\(name)' has no text output for ${\(name).\(path.joined(separator: "."))}")
            }
            return try JSONField.extract(text, path: path, target: name, user: target.name)
        }
        return unresolved ? nil : text
    }

    /// Reference images, in order, with what each contributes to the key (the bytes' SHA-256; an
    /// unpinned URL its text); a reference to a whole group contributes each of its images. Nil
    /// while an upstream output is not known. Upstream images are checked against `model`'s limits.
    public func references(_ refs: [Located<Reference>], for target: Target,
                           model: ImageModel) throws -> [(label: String, source: ReferenceSource, hash: String)]? {
        var unresolved = false
        var out: [(label: String, source: ReferenceSource, hash: String)] = []
        for r in refs {
            switch r.value.source {
            case .file(let rel):
                let path = rel.hasPrefix("/") ? rel : directory + "/" + rel
                let f: InputFile
                do throws(InputFiles.Problem) { f = try files.digest(path) } catch {
                    throw InputError(target: target.name,
                                     message: InputFiles.diagnostic(error, label: rel, directory: directory, at: nil).message)
                }
                out.append((rel, .file(path: path, format: f.format ?? .jpeg), f.sha256))
            case .url(let url, let pin):
                if pin {
                    // Keyed by the bytes it had when pinned, and those very bytes are sent.
                    let pinned = try files.pinned(url, target: target.name)
                    out.append((url, .object(pinned.object, format: pinned.format), pinned.object.hex))
                } else {
                    out.append((url, .url(url), "url:" + url))
                }
            case .target(let name, let index):
                guard let up = upstream(name) else { unresolved = true; continue }
                let chosen: [ActionImage]
                if let index {
                    guard let image = up.images.first(where: { $0.index == index - 1 }) else {
                        // A group keeps its places: image 2 may be missing while 3 and 4 are there.
                        let arrived = up.images.map { String($0.index + 1) }
                        let failure = up.failures.first { $0.index == index - 1 }
                        let why = failure.map { "image \(index) of '\(name)' failed: \($0.code)" }
                            ?? "image \(index) of '\(name)' did not arrive"
                        throw InputError(target: target.name, message: "reference '\(r.value.spelling)' names image \(index), but \(why)"
                            + (arrived.isEmpty ? "" : " (images \(arrived.joined(separator: ", ")) arrived)")
                            + "; reference another image, or raise min_images of '\(name)' to ask for it again")
                    }
                    chosen = [image]
                } else {
                    chosen = up.images
                }
                for image in chosen {
                    let label = index != nil || up.images.count == 1 ? r.value.spelling : "\(name)[\(image.index + 1)]"
                    if let problem = InputFiles.checkUpstreamImage(image, label: label, upstream: name, model: model) {
                        throw InputError(target: target.name, message: problem)
                    }
                    out.append((label, .object(image.object, format: .jpeg), image.object.hex))
                }
            }
        }
        return unresolved ? nil : out
    }
}

/// `${target.a.b}`: a field of a text target's JSON reply. Arrays join with newlines.
public enum JSONField {
    public static func extract(_ json: String, path: [String], target: String, user: String) throws -> String {
        guard let root = try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]) else {
            throw InputError(target: user, message: "the output of '\(target)' is not JSON, so ${\(target).\(path.joined(separator: "."))} cannot be read")
        }
        var node: Any = root
        for key in path {
            if let dict = node as? [String: Any], let next = dict[key] {
                node = next
            } else if let array = node as? [Any], let i = Int(key), i >= 1, i <= array.count {
                node = array[i - 1]
            } else {
                let available = (node as? [String: Any]).map { " (it has " + $0.keys.sorted().map { "'\($0)'" }.joined(separator: ", ") + ")" } ?? ""
                throw InputError(target: user, message: "the output of '\(target)' has no field '\(path.joined(separator: "."))'\(available)")
            }
        }
        return render(node)
    }

    package static func render(_ v: Any) -> String {
        switch v {
        case let s as String: return s
        case let a as [Any]: return a.map(render).joined(separator: "\n")
        case let n as NSNumber: return n.stringValue
        case is NSNull: return ""
        default:
            let data = (try? JSONSerialization.data(withJSONObject: v, options: [.sortedKeys])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }
    }
}
