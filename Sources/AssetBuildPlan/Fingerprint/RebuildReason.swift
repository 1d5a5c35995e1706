import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
/// Why a target runs (or is restored), decided where staleness is decided and kept as data
/// (llbuild's `RunReason`, Ninja's explanations). `description` is what `--explain`, `plan` and
/// `status` print.
public enum RebuildReason: Sendable, Hashable, CustomStringConvertible {
    /// No build of this target was ever recorded.
    case neverBuilt
    case promptChanged
    /// An option that is part of the action key changed.
    case optionChanged(name: String, old: String, new: String)
    /// A reference's bytes changed (a file edited, or an upstream image that came out different).
    case referenceChanged(String)
    /// References were added, removed or reordered.
    case referencesChanged(old: Int, new: Int)
    /// An upstream target produced new output (its images or text differ).
    case upstreamRebuilt(String)
    /// An upstream target is going to run, so this one's inputs are not known yet.
    case upstreamPending(String)
    case outputMissing(String)
    case outputModified(String)
    /// The file holds what an earlier build of different inputs wrote.
    case outputOutdated(String)
    /// The provider changed (draft ↔ ark): their images are never interchangeable.
    case providerChanged(old: String, new: String)
    /// The last build of these exact inputs was cut short; what it received is kept.
    case interrupted(received: Int, wanted: Int)
    /// The last build of these exact inputs failed.
    case failedBefore
    /// These exact inputs were built before: the result comes from the cache, no request.
    case restoredFromCache
    /// Asked for on the command line (`--force`).
    case forced
    /// The outputs in the build directory are the ones `assetbuild.lock` records for these inputs.
    case matchesLock
    /// The cache's index has no record of these inputs, but its object store holds the outputs
    /// `assetbuild.lock` records for them (the index was lost): restored, no request.
    case reindexedFromLock
    /// The shared remote cache holds the result of these inputs: fetched and verified, no request.
    case inRemoteCache
    /// The inputs cannot be resolved (e.g. a `${story.field}` the upstream reply lacks): the target
    /// fails when it runs.
    case inputError(String)
    /// A book: the story it is assembled from has new text.
    case storyChanged
    /// A book: its layout, title or page text written in the manifest changed.
    case bookLayoutChanged
    /// A book: picture `n` (1-based, as in `pictures/n.jpeg`) has new bytes, or arrived, or went missing.
    case pictureChanged(Int)
    /// A derived image's source image `n` (1-based) has other bytes (its upstream was rebuilt).
    case sourceImageChanged(Int)
    /// A derived image's overlay `n` (1-based) changed: its file's bytes, its text or its options.
    case overlayChanged(Int)
    /// A text overlay's font resolves to another file, or the file's bytes changed.
    case fontChanged

    public var description: String {
        switch self {
        case .neverBuilt: return "never built"
        case .promptChanged: return "prompt changed"
        case .optionChanged(let name, let old, let new): return "option '\(name)' changed: \(old) -> \(new)"
        case .referenceChanged(let label): return "reference '\(label)' changed"
        case .referencesChanged(let old, let new): return "references changed (\(old) -> \(new))"
        case .upstreamRebuilt(let name): return "upstream '\(name)' rebuilt"
        case .upstreamPending(let name): return "waits for upstream '\(name)'"
        case .outputMissing(let path): return "output '\(path)' missing"
        case .outputModified(let path): return "output '\(path)' modified by hand"
        case .outputOutdated(let path): return "output '\(path)' holds an older result"
        case .providerChanged(let old, let new): return "provider changed: \(old) -> \(new)"
        case .interrupted(let got, let wanted): return "last build interrupted (\(got) of \(wanted) images kept)"
        case .failedBefore: return "last build failed"
        case .restoredFromCache: return "restored from cache"
        case .forced: return "forced"
        case .matchesLock: return "outputs match assetbuild.lock"
        case .reindexedFromLock: return "the cache's objects hold the outputs assetbuild.lock records"
        case .inRemoteCache: return "in the remote cache, $0"
        case .inputError(let message): return "inputs cannot be resolved: \(message)"
        case .storyChanged: return "story changed"
        case .bookLayoutChanged: return "book layout or page text changed"
        case .pictureChanged(let n): return "picture \(n) changed"
        case .sourceImageChanged(let n): return "source image \(n) changed"
        case .overlayChanged(let n): return "overlay \(n) changed"
        case .fontChanged: return "a font file changed"
        }
    }

    /// Reasons that mean images must be generated (not merely restored from the cache).
    public var costsRequests: Bool {
        switch self {
        case .outputMissing, .outputModified, .outputOutdated, .restoredFromCache, .matchesLock, .reindexedFromLock: return false
        default: return true
        }
    }

    /// Caused by what an upstream target produced, not by the target's own inputs.
    public var comesFromUpstream: Bool {
        switch self {
        case .upstreamRebuilt, .storyChanged, .pictureChanged, .sourceImageChanged: return true
        default: return false
        }
    }

    /// Field-by-field comparison of the last recorded inputs with the current ones, for any kind.
    public static func diff<C: KeyComponents>(old: C, oldLabels: [String], new: C, newLabels: [String]) -> [RebuildReason] {
        new.changes(since: old, oldLabels: oldLabels, newLabels: newLabels)
    }

    /// Image and text generation: field by field.
    package static func generationDiff(old: ActionKeyComponents, oldLabels: [String],
                               new: ActionKeyComponents, newLabels: [String]) -> [RebuildReason] {
        var reasons: [RebuildReason] = []
        if old.provider != new.provider { reasons.append(.providerChanged(old: old.provider, new: new.provider)) }
        if old.prompt != new.prompt { reasons.append(.promptChanged) }
        if old.system != new.system { reasons.append(.optionChanged(name: "system", old: "…", new: "…")) }
        func opt<T: CustomStringConvertible & Equatable>(_ name: String, _ a: T?, _ b: T?) {
            if a != b { reasons.append(.optionChanged(name: name, old: a?.description ?? "(none)", new: b?.description ?? "(none)")) }
        }
        opt("model", old.model, new.model)
        opt("size", old.size, new.size)
        opt("images", old.images, new.images)
        func options(_ target: GenerationOption.Target) {
            for key in OptionTable.options(for: target).compactMap(\.key) { opt(key, old.options[key], new.options[key]) }
        }
        options(.image)
        opt("response_format", old.responseFormat, new.responseFormat)
        options(.text)
        let a = old.references ?? [], b = new.references ?? []
        if a.count != b.count || (a != b && Set(a) == Set(b)) {
            reasons.append(.referencesChanged(old: a.count, new: b.count))
        } else {
            for i in b.indices where a[i] != b[i] {
                let label = i < newLabels.count ? newLabels[i] : "#\(i + 1)"
                reasons.append(.referenceChanged(label))
            }
        }
        if reasons.isEmpty, old.format != new.format { reasons.append(.optionChanged(name: "key format", old: "\(old.format)", new: "\(new.format)")) }
        return reasons
    }
}
