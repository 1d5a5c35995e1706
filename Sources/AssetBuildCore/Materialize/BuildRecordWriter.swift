/// Writes `build/assetbuild.json` by hand, byte for byte as `JSONEncoder` with
/// `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]` does.
///
/// Why: encoding the record of 10,000 targets with `JSONEncoder` cost ~0.13 s of every build
/// that changed anything. Byte for byte, because `writeIfChanged` compares with the file, and
/// a record that only changed its layout would be written (and show in a diff) for nothing.
/// The encoder's layout: two spaces per level, `"key" : value`, keys sorted by their UTF-8
/// bytes, absent optionals left out, and an empty list or mapping as an opening bracket, an
/// empty line and the closing bracket at its own indent. `BuildRecordWriterTests` compares the
/// two on random records.
struct BuildRecordWriter {
    private var bytes: [UInt8] = []
    private var indent = 0
    /// Whether the container being written has an entry yet, innermost last.
    private var started: [Bool] = []

    /// The record's text, or nil for one the writer leaves to the encoder (a target name that is
    /// not ASCII, whose sort order is the encoder's business).
    static func write(_ record: BuildRecord) -> [UInt8]? {
        guard record.targets.keys.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) else { return nil }
        var w = BuildRecordWriter()
        w.bytes.reserveCapacity(1024 + 900 * record.targets.count)
        w.open(UInt8(ascii: "{"))
        w.key("generator"); w.string(record.generator)
        w.key("manifest"); w.string(record.manifest)
        w.key("targets")
        w.open(UInt8(ascii: "{"))
        for (name, entry) in record.targets.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            w.key(name)
            w.entry(entry)
        }
        w.close(UInt8(ascii: "}"))
        w.key("version"); w.number(record.version)
        w.close(UInt8(ascii: "}"))
        return w.bytes
    }

    private mutating func entry(_ e: BuildRecord.Entry) {
        open(UInt8(ascii: "{"))
        key("action_key"); string(e.actionKey)
        key("failures")
        open(UInt8(ascii: "["))
        for f in e.failures {
            item()
            open(UInt8(ascii: "{"))
            key("code"); string(f.code)
            key("image"); number(f.image)
            key("message"); string(f.message)
            close(UInt8(ascii: "}"))
        }
        close(UInt8(ascii: "]"))
        key("generated_at"); string(e.generatedAt)
        if let n = e.imagesRequested { key("images_requested"); number(n) }
        key("kind"); string(e.kind)
        key("model"); string(e.model)
        key("outputs")
        open(UInt8(ascii: "["))
        for o in e.outputs {
            item()
            open(UInt8(ascii: "{"))
            key("bytes"); number(o.bytes)
            if let h = o.height { key("height"); number(h) }
            key("path"); string(o.path)
            key("sha256"); string(o.sha256)
            if let w = o.width { key("width"); number(w) }
            close(UInt8(ascii: "}"))
        }
        close(UInt8(ascii: "]"))
        key("prompt"); string(e.prompt)
        key("provider"); string(e.provider)
        key("request_ids")
        open(UInt8(ascii: "["))
        for id in e.requestIds { item(); string(id) }
        close(UInt8(ascii: "]"))
        if let s = e.size { key("size"); string(s) }
        if let u = e.usage {
            key("usage")
            open(UInt8(ascii: "{"))
            key("generated_images"); number(u.generatedImages)
            key("output_tokens"); number(u.outputTokens)
            key("total_tokens"); number(u.totalTokens)
            close(UInt8(ascii: "}"))
        }
        close(UInt8(ascii: "}"))
    }

    // MARK: Layout

    private mutating func open(_ bracket: UInt8) {
        bytes.append(bracket)
        indent += 1
        started.append(false)
    }

    private mutating func close(_ bracket: UInt8) {
        indent -= 1
        bytes.append(UInt8(ascii: "\n"))
        // An empty container keeps an empty line between its brackets.
        if !started.removeLast() { bytes.append(UInt8(ascii: "\n")) }
        spaces()
        bytes.append(bracket)
    }

    /// Starts the next entry of the innermost container: a comma after the one before, then a new line.
    private mutating func item() {
        if started[started.count - 1] { bytes.append(UInt8(ascii: ",")) }
        started[started.count - 1] = true
        bytes.append(UInt8(ascii: "\n"))
        spaces()
    }

    private mutating func key(_ name: String) {
        item()
        JSONText.appendString(name, to: &bytes)
        bytes.append(contentsOf: [UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: " ")])
    }

    private mutating func spaces() {
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * indent))
    }

    private mutating func string(_ s: String) { JSONText.appendString(s, to: &bytes) }

    private mutating func number(_ n: Int) { bytes.append(contentsOf: String(n).utf8) }
}
