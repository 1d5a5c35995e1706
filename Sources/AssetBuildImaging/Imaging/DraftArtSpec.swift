import Foundation
import AssetBuildSupport
import AssetBuildCatalog

/// Everything a draft image shows. Equal specs render to equal bytes (with the same fonts installed).
public struct DraftArtSpec: Sendable, Hashable {
    /// The target's name, drawn as the title.
    public var target: String
    /// 1-based position in the group.
    public var index: Int
    /// Images in the group; 1 for a single image.
    public var count: Int
    /// Exact output size in pixels.
    public var width: Int
    public var height: Int
    /// The expanded prompt; colours named in it pick the background.
    public var prompt: String
    public var model: String
    /// What the manifest asked for, e.g. `2K` or `2560x1440`.
    public var sizeLabel: String
    /// A digest of the request (hex, the draft request id's source); it seeds every choice the prompt does not make.
    public var key: String
    /// The references in request order.
    public var references: [DraftArtReference]

    public init(target: String, index: Int = 1, count: Int = 1, width: Int, height: Int, prompt: String,
                model: String, sizeLabel: String, key: String, references: [DraftArtReference] = []) {
        self.target = target
        self.index = index
        self.count = count
        self.width = width
        self.height = height
        self.prompt = prompt
        self.model = model
        self.sizeLabel = sizeLabel
        self.key = key
        self.references = references
    }
}

/// A reference as a draft shows it: a label and, when the bytes are at hand, a thumbnail.
public struct DraftArtReference: Sendable, Hashable {
    /// How the manifest named it: `mascot`, `poses[2]`, `refs/product.png`, `https://…`.
    public var label: String
    /// The image bytes; nil for URLs that were not downloaded.
    public var data: Data?

    public init(label: String, data: Data?) {
        self.label = label
        self.data = data
    }
}
