import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
/// Every generation option, described once (ark-api.md §2, §6; the vendor guide). A new option is
/// one row here: parsing, defaults, the model checks, the action key, the request body, the draft
/// provider and its parts of `schemas/assetbuild.schema.json` (`OptionTable+Schema.swift`; write
/// them with `RECORD_SCHEMA=1 swift test --filter OptionTableTests`) follow from the row.
///
/// Not here: the keys that shape a target rather than pass through to the request (`model`,
/// `prompt`, `references`, `size`, `images`, `min_images`, `response_format`, `system`,
/// `system_file`, `schema`): each has rules of its own in `TargetResolver`.
public enum OptionTable {
    public static let watermark = TypedOption<Bool>(GenerationOption(
        name: "watermark", target: .image, type: .bool, default: .value(.bool(true)),
        key: "watermark", request: .field("watermark"), draft: .varies(absent: "false"),
        description: "Add the 'AI生成' mark in the bottom-right corner. The API's default is true (on)."))

    public static let optimizePrompt = TypedOption<String>(GenerationOption(
        name: "optimize_prompt", target: .image, type: .choice(["standard", "fast"]),
        models: .choices([.seedream45: ["standard"], .seedream40: ["standard", "fast"]], takers: "seedream 4.5 and 4.0 take it"),
        key: "optimize_prompt", request: .object("optimize_prompt_options", "mode"),
        description: "Prompt optimisation mode: 'standard' or 'fast' (4.0 only; 4.5 takes 'standard'). Seedream 4.5 and 4.0 only."))

    public static let seed = TypedOption<Int>(GenerationOption(
        name: "seed", target: .image, type: .int(-1...2_147_483_647),
        models: .only([.seedream30t2i, .seededit30i2i], takers: "seedream-3.0-t2i and seededit-3.0-i2i take it"),
        key: "seed", request: .field("seed"), draft: .varies(absent: "-1"),
        description: "Random seed, -1 for random. seedream-3.0-t2i and seededit-3.0-i2i only."))

    public static let guidanceScale = TypedOption<Double>(GenerationOption(
        name: "guidance_scale", target: .image, type: .number(1...10),
        models: .only([.seedream30t2i, .seededit30i2i], takers: "seedream-3.0-t2i and seededit-3.0-i2i take it"),
        key: "guidance_scale", request: .field("guidance_scale"),
        description: "How closely to follow the prompt, 1 to 10 (3.0-t2i default 2.5, seededit 5.5). seedream-3.0-t2i and seededit-3.0-i2i only."))

    /// Not in the key: a streamed answer holds the same images.
    public static let stream = TypedOption<Bool>(GenerationOption(
        name: "stream", target: .image, type: .bool, default: .onForGroups,
        models: .only([.seedream45, .seedream40], takers: "seedream 4.5 and 4.0 stream"),
        key: nil, request: .flag("stream"),
        description: "Receive images as they are made (server-sent events). Default: on for groups. Seedream 4.5 and 4.0 only."))

    public static let thinking = TypedOption<String>(GenerationOption(
        name: "thinking", target: .text, type: .choice(["enabled", "disabled", "auto"]),
        key: "thinking", request: .object("thinking", "type"),
        description: "Text targets: the chat model's thinking mode."))

    public static let temperature = TypedOption<Double>(GenerationOption(
        name: "temperature", target: .text, type: .number(0...2),
        key: "temperature", request: .field("temperature"),
        description: "Text targets: sampling temperature, 0 to 2."))

    public static let maxTokens = TypedOption<Int>(GenerationOption(
        name: "max_tokens", target: .text, type: .int(1...1_000_000),
        key: "max_tokens", request: .field("max_tokens"),
        description: "Text targets: the most tokens the reply may use."))

    /// In this order: the manifest's list of known keys (and so "did you mean" among equals),
    /// `--explain`'s reasons and the draft key follow it.
    public static let all: [GenerationOption] = [
        watermark.spec, optimizePrompt.spec, seed.spec, guidanceScale.spec, stream.spec,
        thinking.spec, temperature.spec, maxTokens.spec,
    ]
}
