/// Writes `ActionKeyComponents` as the canonical JSON its action key hashes, by hand.
///
/// Why: a `JSONEncoder` per target cost ~45 ms of the ~0.6 s a 10,000-target build spends
/// planning before it sends anything. The output must stay byte for byte what
/// `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]` writes, or every cached action
/// would be rebuilt: keys in sorted order, absent optionals left out, no spaces; strings escape
/// `"` and `\`, `\b \t \n \f \r` in short form and other controls below U+0020 as `\u00xx`, and
/// nothing else (not `/`, not non-ASCII); a number is its `description`, less a trailing `.0`.
/// `ActionKeyComponentsCanonicalJSONTests` compares it with the encoder and pins known keys.
struct CanonicalJSONWriter {
    private(set) var bytes: [UInt8] = []
    private var fields = 0

    /// The canonical JSON of `c`, or nil for a value the encoder would refuse (a number that is
    /// not finite), which is left to the encoder.
    static func write(_ c: ActionKeyComponents) -> String? {
        if c.guidanceScale?.isFinite == false || c.temperature?.isFinite == false { return nil }
        var w = CanonicalJSONWriter()
        w.bytes.reserveCapacity(256 + c.prompt.utf8.count + (c.system?.utf8.count ?? 0) + 67 * (c.references?.count ?? 0))
        w.bytes.append(UInt8(ascii: "{"))
        // In the order `.sortedKeys` puts the coding keys.
        w.field("format", number: c.format)
        w.field("guidance_scale", number: c.guidanceScale)
        w.field("images", number: c.images)
        w.field("kind", string: c.kind)
        w.field("max_tokens", number: c.maxTokens)
        w.field("model", string: c.model)
        w.field("optimize_prompt", string: c.optimizePrompt)
        w.field("prompt", string: c.prompt)
        w.field("provider", string: c.provider)
        w.field("references", strings: c.references)
        w.field("response_format", string: c.responseFormat)
        w.field("seed", number: c.seed)
        w.field("size", string: c.size)
        w.field("system", string: c.system)
        w.field("temperature", number: c.temperature)
        w.field("thinking", string: c.thinking)
        w.field("watermark", bool: c.watermark)
        w.bytes.append(UInt8(ascii: "}"))
        return String(decoding: w.bytes, as: UTF8.self)
    }

    private mutating func name(_ key: StaticString) {
        if fields > 0 { bytes.append(UInt8(ascii: ",")) }
        fields += 1
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    private mutating func field(_ key: StaticString, string value: String?) {
        guard let value else { return }
        name(key)
        string(value)
    }

    private mutating func field(_ key: StaticString, strings values: [String]?) {
        guard let values else { return }
        name(key)
        bytes.append(UInt8(ascii: "["))
        for (i, v) in values.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            string(v)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func field(_ key: StaticString, number value: Int?) {
        guard let value else { return }
        name(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    private mutating func field(_ key: StaticString, number value: Double?) {
        guard let value else { return }
        name(key)
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    private mutating func field(_ key: StaticString, bool value: Bool?) {
        guard let value else { return }
        name(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    private mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
