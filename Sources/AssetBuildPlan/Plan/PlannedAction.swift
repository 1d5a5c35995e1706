import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
/// One target's action as the planner sees it (llbuild's `Rule`, Bazel's action kinds): each kind
/// of action (image generation, text generation, a storybook's book, …) implements it for the
/// targets it builds, and says what its key is made of and what `plan` reports for it. The run
/// layer adds how it executes (`BuildAction`); the planner never asks which kind a target is.
public protocol PlannedAction: Sendable {
    var target: Target { get }
    /// Its outputs are images, kept image by image (a group that broke off resumes from what
    /// arrived); otherwise one document (a reply, a book).
    var makesImages: Bool { get }
    /// Running it sends a request (which may cost money); otherwise it is local work.
    var sendsRequest: Bool { get }
    /// Downstream targets read its output as text (`${target.field}`).
    var outputIsText: Bool { get }
    /// The fewest images that make a finished action a result (`min_images`).
    var minimumImages: Int { get }
    /// The model `plan` names once the inputs are known.
    var model: String? { get }
    /// What `plan` says while an upstream target runs first and the inputs are not known.
    var pendingFigures: PlanFigures { get }
    /// The price of one image it generates (nothing when it makes none, or makes them locally).
    func pricePerImage(_ provider: ProviderSettings) -> Double
    /// Its key and inputs, or nil while an upstream output is not known yet.
    func resolve(_ inputs: KeyInputs) throws -> ResolvedAction?
    /// The `pin: true` URLs among its inputs, downloaded before planning.
    var pinnedURLs: [String] { get }
}

extension PlannedAction {
    public var makesImages: Bool { false }
    public var sendsRequest: Bool { true }
    public var outputIsText: Bool { false }
    public var minimumImages: Int { 1 }
    public var pendingFigures: PlanFigures { PlanFigures(images: 0, model: model) }
    public func pricePerImage(_ provider: ProviderSettings) -> Double { 0 }
    public var pinnedURLs: [String] { [] }

    /// How the cache records its action: images, or one text object.
    public var recordKind: ActionKind { makesImages ? .images : .text }
}

/// What `plan` reports for a target before its inputs are known.
public struct PlanFigures: Sendable, Hashable {
    /// Images the request will ask for at most.
    public var images: Int
    public var model: String?
    /// How the work fits the service's limits (a storybook group's size).
    public var detail: String?

    public init(images: Int, model: String?, detail: String? = nil) {
        self.images = images
        self.model = model
        self.detail = detail
    }
}

/// A target's action with its inputs known: the key, and what its kind needs to run it.
public struct ResolvedAction: Sendable {
    public var fingerprint: Fingerprint
    /// Outputs it produces: a group's images (1 for a single image, a reply, a book).
    public var outputs: Int
    /// How `plan` describes the work beyond the image count (a storybook group's fit).
    public var detail: String?
    /// The kind's own inputs (what it sends, or assembles), opaque to the planner.
    public var inputs: any Sendable

    public init(fingerprint: Fingerprint, outputs: Int = 1, detail: String? = nil, inputs: any Sendable) {
        self.fingerprint = fingerprint
        self.outputs = outputs
        self.detail = detail
        self.inputs = inputs
    }

    /// The kind's inputs as the type it resolved them to; an internal error otherwise.
    public func inputs<T>(as type: T.Type, target: String) throws -> T {
        guard let typed = inputs as? T else {
            throw InputError(target: target, message: "internal error: the inputs resolved are not \(T.self)")
        }
        return typed
    }
}
