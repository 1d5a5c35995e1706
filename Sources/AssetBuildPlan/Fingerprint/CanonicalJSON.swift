import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
/// Writes `ActionKeyComponents` as the canonical JSON its action key hashes, by hand.
///
/// Why: a `JSONEncoder` per target cost ~45 ms of the ~0.6 s a 10,000-target build spends
/// planning before it sends anything. The output must stay byte for byte what
/// `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]` writes, or every cached action
/// would be rebuilt: keys in sorted order, absent optionals left out, no spaces; strings escape
/// `"` and `\`, `\b \t \n \f \r` in short form and other controls below U+0020 as `\u00xx`, and
/// nothing else (not `/`, not non-ASCII); a number is its `description`, less a trailing `.0`.
/// `ActionKeyComponentsCanonicalJSONTests` compares it with the encoder and pins known keys.
package struct CanonicalJSONWriter {
    package private(set) var bytes: [UInt8] = []
    private var fields = 0

    /// The fields of the canonical JSON in the order `.sortedKeys` puts them: the fixed ones and
    /// each option's key field (`OptionTable`).
    private enum Slot {
        case format, images, kind, model, prompt, provider, references, responseFormat, size, system
        case option(String)
    }

    private static let layout: [(name: String, slot: Slot)] = {
        let fixed: [(String, Slot)] = [
            ("format", .format), ("images", .images), ("kind", .kind), ("model", .model), ("prompt", .prompt),
            ("provider", .provider), ("references", .references), ("response_format", .responseFormat),
            ("size", .size), ("system", .system),
        ]
        return (fixed + OptionTable.keyed.keys.map { ($0, .option($0)) }).sorted { $0.0 < $1.0 }
    }()

    /// The canonical JSON of `c`, or nil for a value the encoder would refuse (a number that is
    /// not finite), which is left to the encoder.
    package static func write(_ c: ActionKeyComponents) -> String? {
        for value in c.options.values.values {
            if case .number(let d) = value, !d.isFinite { return nil }
        }
        var w = CanonicalJSONWriter()
        w.bytes.reserveCapacity(256 + c.prompt.utf8.count + (c.system?.utf8.count ?? 0) + 67 * (c.references?.count ?? 0))
        w.bytes.append(UInt8(ascii: "{"))
        for (name, slot) in layout {
            switch slot {
            case .format: w.field(name, number: c.format)
            case .images: w.field(name, number: c.images)
            case .kind: w.field(name, string: c.kind)
            case .model: w.field(name, string: c.model)
            case .prompt: w.field(name, string: c.prompt)
            case .provider: w.field(name, string: c.provider)
            case .references: w.field(name, strings: c.references)
            case .responseFormat: w.field(name, string: c.responseFormat)
            case .size: w.field(name, string: c.size)
            case .system: w.field(name, string: c.system)
            case .option(let key):
                switch c.options[key] {
                case nil: break
                case .bool(let v)?: w.field(name, bool: v)
                case .int(let v)?: w.field(name, number: v)
                case .number(let v)?: w.field(name, number: v)
                case .string(let v)?: w.field(name, string: v)
                }
            }
        }
        w.bytes.append(UInt8(ascii: "}"))
        return String(decoding: w.bytes, as: UTF8.self)
    }

    private mutating func name(_ key: String) {
        if fields > 0 { bytes.append(UInt8(ascii: ",")) }
        fields += 1
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: key.utf8)
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
    }

    private mutating func field(_ key: String, string value: String?) {
        guard let value else { return }
        name(key)
        string(value)
    }

    private mutating func field(_ key: String, strings values: [String]?) {
        guard let values else { return }
        name(key)
        bytes.append(UInt8(ascii: "["))
        for (i, v) in values.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            string(v)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func field(_ key: String, number value: Int?) {
        guard let value else { return }
        name(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    private mutating func field(_ key: String, number value: Double?) {
        guard let value else { return }
        name(key)
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    private mutating func field(_ key: String, bool value: Bool?) {
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
