import AssetBuildSupport
/// What each Seedream model accepts, from the vendor guide (ark-api.md §2–5).
/// Every rule here is checked before any request is sent.
public struct ImageModel: Sendable, Hashable {
    public enum Family: String, Sendable, Hashable, CaseIterable {
        case seedream45 = "seedream-4.5"
        case seedream40 = "seedream-4.0"
        case seedream30t2i = "seedream-3.0-t2i"
        case seededit30i2i = "seededit-3.0-i2i"
    }

    public var id: String
    public var family: Family
    /// `1K`/`2K`/`4K` presets this model accepts (the model picks the final pixels).
    public var presets: [String]
    /// Inclusive range of width × height for `WxH` sizes; nil when `WxH` is not accepted.
    public var pixelRange: ClosedRange<Int>?
    /// Inclusive width/height ratio range for `WxH` sizes; nil when not stated.
    public var aspectRange: ClosedRange<Double>?
    /// The size used when the manifest gives none (the API's own default).
    public var defaultSize: String
    /// Recommended `WxH` per aspect ratio at the model's base resolution, in the guide's order.
    public var recommendedSizes: [(ratio: String, width: Int, height: Int)]
    /// How many reference images the model takes: 0...0 (none), 1...1 (exactly one), 0...14.
    public var referenceCount: ClosedRange<Int>
    public var referenceFormats: Set<String>
    public var referenceAspectRange: ClosedRange<Double>
    public var supportsGroups: Bool
    /// Default list price per generated image in USD (override with `provider.prices`).
    public var defaultPrice: Double

    public static func == (a: ImageModel, b: ImageModel) -> Bool { a.id == b.id }
    public func hash(into h: inout Hasher) { h.combine(id) }
}

public enum ModelCatalog {
    /// Group generation: references + generated images ≤ 15; at most 14 references.
    public static let maxReferences = 14
    public static let maxReferencesPlusImages = 15
    public static let maxReferenceBytes = 10 * 1024 * 1024
    public static let maxReferencePixels = 6000 * 6000
    /// Width and height must each exceed this.
    public static let minReferenceSide = 14
    /// Advice, not a limit: longer prompts lose detail (the guide: 300 Chinese characters or 600 English words).
    public static let promptAdviceChineseCharacters = 300
    public static let promptAdviceEnglishWords = 600

    public static let defaultImageModel = "doubao-seedream-4-5-251128"
    public static let defaultTextModel = "doubao-seed-1-6-250615"
    /// Chat models that cannot answer in a JSON schema (`response_format: json_schema`); Ark
    /// documents the feature for doubao-seed-1.6 but not for its lite model.
    public static let textModelsWithoutJSONSchema: Set<String> = ["doubao-seed-1-6-lite-251015"]
    public static let textModels = ["doubao-seed-1-6-250615", "doubao-seed-1-6-251015", "doubao-seed-1-6-lite-251015", "doubao-seed-1-6-flash-250828"]

    package static let table4x: [(ratio: String, width: Int, height: Int)] = [
        ("1:1", 2048, 2048), ("4:3", 2304, 1728), ("3:4", 1728, 2304), ("16:9", 2560, 1440),
        ("9:16", 1440, 2560), ("3:2", 2496, 1664), ("2:3", 1664, 2496), ("21:9", 3024, 1296),
    ]
    package static let table30: [(ratio: String, width: Int, height: Int)] = [
        ("1:1", 1024, 1024), ("4:3", 1152, 864), ("3:4", 864, 1152), ("16:9", 1280, 720),
        ("9:16", 720, 1280), ("3:2", 1248, 832), ("2:3", 832, 1248), ("21:9", 1512, 648),
    ]
    package static let allFormats: Set<String> = ["jpeg", "png", "webp", "bmp", "tiff", "gif"]

    public static let imageModels: [ImageModel] = [
        ImageModel(
            id: "doubao-seedream-4-5-251128", family: .seedream45, presets: ["2K", "4K"],
            pixelRange: 3_686_400...16_777_216, aspectRange: (1.0 / 16)...16, defaultSize: "2048x2048",
            recommendedSizes: table4x, referenceCount: 0...14, referenceFormats: allFormats,
            referenceAspectRange: (1.0 / 16)...16, supportsGroups: true, defaultPrice: 0.04),
        ImageModel(
            id: "doubao-seedream-4-0-250828", family: .seedream40, presets: ["1K", "2K", "4K"],
            pixelRange: 921_600...16_777_216, aspectRange: (1.0 / 16)...16, defaultSize: "2048x2048",
            recommendedSizes: table4x, referenceCount: 0...14, referenceFormats: allFormats,
            referenceAspectRange: (1.0 / 16)...16, supportsGroups: true, defaultPrice: 0.03),
        ImageModel(
            id: "doubao-seedream-3-0-t2i-250415", family: .seedream30t2i, presets: [],
            pixelRange: 262_144...4_194_304, aspectRange: nil, defaultSize: "1024x1024",
            recommendedSizes: table30, referenceCount: 0...0, referenceFormats: ["jpeg", "png"],
            referenceAspectRange: (1.0 / 3)...3, supportsGroups: false, defaultPrice: 0.03),
        ImageModel(
            id: "doubao-seededit-3-0-i2i-250628", family: .seededit30i2i, presets: ["adaptive"],
            pixelRange: nil, aspectRange: nil, defaultSize: "adaptive",
            recommendedSizes: seededitTable.map { ("\($0.0)", $0.1, $0.2) }, referenceCount: 1...1,
            referenceFormats: ["jpeg", "png"], referenceAspectRange: (1.0 / 3)...3, supportsGroups: false, defaultPrice: 0.03),
    ]

    /// seededit-3.0 `adaptive`: the first row whose ratio is closest to the input's is the output size.
    public static let seededitTable: [(Double, Int, Int)] = [
        (0.33, 512, 1536), (0.35, 544, 1536), (0.38, 576, 1536), (0.4, 608, 1536), (0.42, 640, 1536),
        (0.47, 640, 1376), (0.51, 672, 1312), (0.55, 704, 1280), (0.56, 736, 1312), (0.6, 768, 1280),
        (0.63, 768, 1216), (0.66, 800, 1216), (0.67, 832, 1248), (0.7, 832, 1184), (0.72, 832, 1152),
        (0.75, 864, 1152), (0.78, 896, 1152), (0.82, 896, 1088), (0.85, 928, 1088), (0.88, 960, 1088),
        (0.91, 992, 1088), (0.94, 1024, 1088), (0.97, 1024, 1056), (1, 1024, 1024), (1.06, 1056, 992),
        (1.1, 1088, 992), (1.17, 1120, 960), (1.24, 1152, 928), (1.29, 1152, 896), (1.33, 1152, 864),
        (1.42, 1184, 832), (1.46, 1216, 832), (1.5, 1248, 832), (1.56, 1248, 800), (1.62, 1248, 768),
        (1.67, 1280, 768), (1.74, 1280, 736), (1.82, 1280, 704), (1.78, 1312, 736), (1.86, 1312, 704),
        (1.95, 1312, 672), (2, 1344, 672), (2.05, 1376, 672), (2.1, 1408, 672), (2.2, 1408, 640),
        (2.25, 1440, 640), (2.3, 1472, 640), (2.35, 1504, 640), (2.4, 1536, 640), (2.53, 1536, 608),
        (2.67, 1536, 576), (2.82, 1536, 544), (3, 1536, 512),
    ]

    public static func model(id: String) -> ImageModel? {
        imageModels.first { $0.id == id }
    }

    /// The output size seededit-3.0 picks for an input of the given dimensions.
    public static func seededitAdaptiveSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let ratio = Double(width) / Double(height)
        var best = seededitTable[0]
        for row in seededitTable where abs(row.0 - ratio) < abs(best.0 - ratio) { best = row }
        return (best.1, best.2)
    }
}
