import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook

/// A value from the manifest with the place it was written, so later checks can point at it.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}

/// A loaded, validated manifest: every target typed, every option checked against its model.
public struct Manifest: Sendable {
    /// Absolute path of the manifest file.
    public var path: String
    /// The folder relative paths are resolved against.
    public var directory: String
    public var version: Int
    public var provider: ProviderSettings
    /// Targets in the order they were declared.
    public var targets: [Target]
    /// Warnings found while loading (prompt length advice and the like).
    public var warnings: [Diagnostic]
    /// The manifest text, for rendering diagnostics found later.
    public var source: String
    /// How diagnostics name the manifest (`assetbuild.yaml`, or the path given with `-f`): the
    /// `file` of every location in it.
    public var file: String
    /// `cache:`: the shared remote cache, if any.
    public var cache: CacheSettings
    /// `coordination:`: the Redis shared with other runners, if any.
    public var coordination = CoordinationSettings()

    private var indexByName: [String: Int]

    public init(path: String, directory: String, version: Int, provider: ProviderSettings, targets: [Target],
                warnings: [Diagnostic], source: String, file: String? = nil, cache: CacheSettings = CacheSettings()) {
        self.path = path
        self.directory = directory
        self.version = version
        self.provider = provider
        self.targets = targets
        self.warnings = warnings
        self.source = source
        self.file = file ?? path
        self.cache = cache
        var index: [String: Int] = [:]
        for (i, t) in targets.enumerated() { index[t.name] = i }
        self.indexByName = index
    }

    public subscript(name: String) -> Target? {
        indexByName[name].map { targets[$0] }
    }

    public var targetNames: [String] { targets.map(\.name) }

    /// Every file besides the manifest whose bytes feed some target: reference files, system
    /// prompt files and schema files (absolute paths, sorted, no duplicates).
    public var inputFiles: [String] {
        var out = Set<String>()
        for t in targets {
            switch t.kind {
            case .image(let spec):
                for r in spec.references {
                    if case .file(let rel) = r.value.source { out.insert(rel.hasPrefix("/") ? rel : directory + "/" + rel) }
                }
            case .text(let spec):
                out.formUnion(spec.sourceFiles)
            case .book:
                break
            case .derived(let spec):
                for f in spec.overlayFiles { out.insert(f.hasPrefix("/") ? f : directory + "/" + f) }
            }
        }
        return out.sorted()
    }

    /// Diagnostics found after loading (cycles, reference files), with the manifest text so they
    /// print with their source line.
    public func diagnosticsError(_ diagnostics: [Diagnostic]) -> DiagnosticsError {
        DiagnosticsError(diagnostics, sources: [file: source])
    }
}

public enum ProviderName: String, Sendable, CaseIterable, Codable {
    /// Volcengine Ark, the real service.
    case ark
    /// The offline renderer: no key, no network, deterministic.
    case draft
}

public struct ProviderSettings: Sendable {
    public var name: ProviderName = .ark
    public var baseURL: String = "https://ark.cn-beijing.volces.com/api/v3"
    /// Where the manifest set `base_url` (nil: the built-in default), for `KeyDestination`'s refusal.
    public var baseURLLocation: SourceLocation?
    public var apiKeyEnv: String = "ARK_API_KEY"
    /// Requests in flight at most.
    public var concurrency: Int = 16
    /// Images per minute per model id (the account's IPM); models not listed get `defaultRateLimit`.
    public var rateLimits: [String: Int] = [:]
    public var defaultRateLimit: Int = 500
    /// Price per generated image, per model id; models not listed use the catalog's list price.
    public var prices: [String: Double] = [:]
    /// Refuse to start a build whose estimate exceeds this; stop admitting once spend reaches it.
    public var budget: Double?
    /// Endpoint ids (`ep-…`) and the model each serves, so its limits can be checked.
    public var endpoints: [String: String] = [:]
    /// Retries of one request (429, 5xx, network) before the target fails.
    public var maxAttempts: Int = 4
    /// Give up retrying a request after this long in total.
    public var maxRetrySeconds: Double = 600
    /// A stream that sends nothing for this long is treated as stalled.
    public var stallTimeoutSeconds: Double = 300
    /// Folders outside the manifest's own that its references and text files may come from
    /// (`allow_outside:`, relative to the manifest or absolute).
    public var allowOutside: [String] = []

    public init() {}

    public func rateLimit(for model: String) -> Int { rateLimits[model] ?? defaultRateLimit }

    public func price(for model: String) -> Double {
        if let p = prices[model] { return p }
        let resolved = endpoints[model] ?? model
        return prices[resolved] ?? ModelCatalog.model(id: resolved)?.defaultPrice ?? 0
    }
}

/// One buildable thing.
public struct Target: Sendable {
    public var name: String
    /// Where the target's key is written.
    public var location: SourceLocation
    public var kind: Kind
    /// Ordering-only dependencies (`deps:`).
    public var deps: [Located<String>]
    /// `output:` relative to the build directory; `{n}` stands for the image number in a group.
    public var output: Located<String>?

    public enum Kind: Sendable {
        case image(ImageSpec)
        case text(TextSpec)
        /// A storybook's assembled book: local work, no request.
        case book(BookSpec)
        /// Images derived locally from another target's (a variant, a channel size): no request.
        case derived(DerivedSpec)
    }

    public var image: ImageSpec? {
        if case .image(let s) = kind { return s }
        return nil
    }

    public var text: TextSpec? {
        if case .text(let s) = kind { return s }
        return nil
    }

    public var book: BookSpec? {
        if case .book(let s) = kind { return s }
        return nil
    }

    public var derived: DerivedSpec? {
        if case .derived(let s) = kind { return s }
        return nil
    }

    /// How many images a build of this target makes at most (0 for text and book targets).
    public var requestedImages: Int { image?.images ?? derived?.images ?? 0 }

    /// Names of every target this one needs built first: references, template fields and `deps:`.
    public var dependencies: [Located<String>] {
        var out: [Located<String>] = []
        switch kind {
        case .image(let s):
            for r in s.references {
                if case .target(let name, _) = r.value.source { out.append(Located(name, at: r.location)) }
            }
            out += s.prompt.fieldReferences
            if let story = s.storybook { out.append(Located(story.story, at: location)) }
        case .text(let s):
            out += s.prompt.fieldReferences
            if let sys = s.system { out += sys.fieldReferences }
        case .book(let b):
            out += [Located(b.story, at: location), Located(b.pictures, at: location)]
        case .derived(let d):
            out.append(Located(d.source.value.target, at: d.source.location))
            out += d.fieldReferences
        }
        return out + deps
    }
}

/// An image target's options after defaults, vars and the model's rules were applied.
public struct ImageSpec: Sendable {
    public var model: Located<String>
    /// The catalog entry the model id (or the endpoint it names) resolves to.
    public var modelInfo: ImageModel
    public var prompt: Template
    public var references: [Located<Reference>]
    /// `2K`, `4K`, `1K`, `WxH` or `adaptive`, as it will be sent.
    public var size: Located<String>
    /// 1 for a single image; > 1 is a group of at most this many.
    public var images: Int
    /// A group returning fewer images than this fails (what arrived is still kept).
    public var minImages: Int
    /// The image options of `OptionTable`, defaults applied (`watermark` and `stream` always set).
    public var options: OptionValues
    public var responseFormat: ResponseFormat
    /// Set for a storybook's pictures: the prompt and the number of images come from the story.
    public var storybook: StorybookPictures?
    /// False when the model id is unknown: the spec then exists only so that the checks which do
    /// not need the model's limits (references, deps, files) still run and every problem is
    /// reported in one pass. `modelInfo` is a stand-in and is never used to build; such a
    /// manifest always fails to load.
    public var modelIsKnown = true
}

/// A storybook's picture step: one group with a picture per scene plus a cover.
public struct StorybookPictures: Sendable, Hashable {
    /// The story target whose `scenes_detail` become the prompt.
    public var story: String
    /// The user's request, put first in the prompt.
    public var request: String
    /// The scene bounds the story is asked for.
    public var scenes: ClosedRange<Int>
    /// Reference images sent with the group, a whole group counted image by image (set once every
    /// target is known: a referenced group may be declared further down).
    public var references: Int

    /// The most images the service allows with these references (15 − references).
    public var maxImages: Int { StorybookSizing(scenes: 0, references: references).limit }

    /// The group for a story of `scenes` scenes.
    public func sizing(scenes: Int) -> StorybookSizing { StorybookSizing(scenes: scenes, references: references) }
}

/// A storybook's book: the story's pages beside their pictures, assembled into HTML.
public struct BookSpec: Sendable {
    public var story: String
    public var pictures: String
    /// Where the pictures are written (their output pattern, `{n}` for the number).
    public var picturesOutput: String
    public var layout: BookAssembler.Layout
    /// Page text written in the manifest, replacing the story's (1-based page numbers).
    public var pageText: [Int: String]
    public var title: String?
    /// The pictures' reference images (as `StorybookPictures.references`): pages past the
    /// service's limit say in the book that they were never drawn, and why.
    public var pictureReferences: Int = 0
    /// Images derived from the pictures, shown under their pages (set by `DerivedTargets.settle`).
    public var variants: [BookVariant] = []
}

/// A text target: one chat completion, its reply stored as `build/<name>.json` (or `.txt`).
public struct TextSpec: Sendable {
    public var model: Located<String>
    public var system: Template?
    public var prompt: Template
    public var responseFormat: TextResponseFormat
    /// Named schema the reply is validated against after it arrives (`storybook`).
    public var validation: String?
    /// The text options of `OptionTable` that were set.
    public var options: OptionValues
    /// Files read while loading (`system_file`, a schema file), absolute: a change to one
    /// changes the target's inputs even though the manifest's bytes did not change.
    public var sourceFiles: [String] = []
    /// For a storybook's story: how many scenes the reply must have.
    public var storyScenes: ClosedRange<Int>?
}

/// Where a reference image comes from.
public struct Reference: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        /// Another target's output; `index` is 1-based within a group, nil for all of its images.
        case target(String, index: Int?)
        /// A file, relative to the manifest directory (or absolute).
        case file(String)
        /// Passed to the service as given; `pin` hashes its bytes (downloaded once) instead of its text.
        case url(String, pin: Bool)
    }

    public var source: Source
    /// As written in the manifest, for messages (`poses[2]`, `refs/product.png`).
    public var spelling: String
}
