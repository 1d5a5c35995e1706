/// Reads `assetbuild.lock` in the exact shape `BuildRecord.lockFile` writes, without Yams.
///
/// Why: composing the lock with Yams costs ~0.4 s at 10,000 targets (every plain scalar's tag
/// is resolved with ICU regular expressions, twice: once to hash the key for the duplicate-key
/// check, once to construct it), and every build that cannot use the no-op stamp reads the lock.
///
/// It accepts only what the writer produces: the header comments, `version: 1`, `targets:` with
/// `  name:` / `    key:` / `    outputs:` / `      - path:` / `        sha256:` lines, and
/// `pins:` with `  "url": sha` lines. A scalar is accepted only when YAML would read it as that
/// very string (`PlainScalar.isString`). Anything else — a hand edit, a merge conflict, a blank
/// line, a duplicate, a name YAML reads as a number — returns nil, and `LockFile.read` falls back
/// to Yams. So the result is always the one Yams gives, only sooner.
enum LockFileReader {
    static func parse(_ text: String) -> LockFile? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    private enum Section { case top, targets, pins }

    /// The target being read: its name, key, and outputs so far.
    private struct Pending {
        var name: String
        var key: String?
        var sawOutputs = false
        var outputs: [(path: String, sha256: String)] = []
        var path: String?  // an output item whose sha256 line is still to come
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>) -> LockFile? {
        var targets: [String: LockFile.Entry] = [:]
        var pins: [String: String] = [:]
        var section = Section.top
        var sawVersion = false, sawTargets = false, sawPins = false
        var pending: Pending?

        /// Stores the target being read; false when it is incomplete or a duplicate.
        func finish() -> Bool {
            guard let p = pending else { return true }
            pending = nil
            guard let key = p.key, p.sawOutputs, p.path == nil, targets[p.name] == nil else { return false }
            targets[p.name] = LockFile.Entry(key: key, outputs: p.outputs)
            return true
        }

        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
            let line = UnsafeBufferPointer(rebasing: bytes[start..<end])
            start = end + 1
            if line.first == UInt8(ascii: "#") {
                // A comment line (the header). Printable ASCII only: YAML also breaks lines at
                // CR and at U+0085/U+2028/U+2029, and refuses control characters.
                guard line.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
                continue
            }
            var scan = LineScanner(line)
            let indent = scan.spaces()
            switch (indent, section) {
            case (0, _):
                guard finish() else { return nil }
                if scan.rest("version: 1") {
                    guard !sawVersion else { return nil }
                    sawVersion = true
                    section = .top
                } else if scan.rest("targets:") {
                    guard !sawTargets else { return nil }
                    sawTargets = true
                    section = .targets
                } else if scan.rest("pins:") {
                    guard !sawPins else { return nil }
                    sawPins = true
                    section = .pins
                } else {
                    return nil
                }
            case (2, .targets):
                guard finish(), let name = scan.plainKey(), scan.atEnd else { return nil }
                pending = Pending(name: name)
            case (4, .targets):
                guard pending != nil else { return nil }
                if scan.literal("key: ") {
                    guard pending!.key == nil, !pending!.sawOutputs, let key = scan.plainValue() else { return nil }
                    pending!.key = key
                } else if scan.rest("outputs:") {
                    guard pending!.key != nil, !pending!.sawOutputs else { return nil }
                    pending!.sawOutputs = true
                } else {
                    return nil
                }
            case (6, .targets):
                guard pending?.sawOutputs == true, pending!.path == nil,
                      scan.literal("- path: "), let path = scan.plainValue() else { return nil }
                pending!.path = path
            case (8, .targets):
                guard let path = pending?.path, scan.literal("sha256: "), let sha = scan.plainValue() else { return nil }
                pending!.outputs.append((path, sha))
                pending!.path = nil
            case (2, .pins):
                guard let url = scan.simpleQuotedKey(), let sha = scan.plainValue(), pins[url] == nil else { return nil }
                pins[url] = sha
            default:
                return nil
            }
        }
        // Yams reads `targets:` with no entries as null, and then keeps nothing at all.
        guard finish(), sawTargets, !targets.isEmpty else { return nil }
        return LockFile(targets: targets, pins: pins)
    }
}

/// Reads one line of the lock left to right.
private struct LineScanner {
    let line: UnsafeBufferPointer<UInt8>
    var i = 0

    init(_ line: UnsafeBufferPointer<UInt8>) { self.line = line }

    var atEnd: Bool { i == line.count }

    mutating func spaces() -> Int {
        while i < line.count, line[i] == UInt8(ascii: " ") { i += 1 }
        return i
    }

    /// Consumes `s` when the line continues with it.
    mutating func literal(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard line.count - i >= n else { return false }
        for k in 0..<n where line[i + k] != s.utf8Start[k] { return false }
        i += n
        return true
    }

    /// True when the rest of the line is exactly `s`.
    mutating func rest(_ s: StaticString) -> Bool {
        line.count - i == s.utf8CodeUnitCount && literal(s)
    }

    /// `name:` ending the line, where `name` is a plain scalar YAML reads as a string.
    mutating func plainKey() -> String? {
        guard line.last == UInt8(ascii: ":"), line.count - 1 > i else { return nil }
        let token = UnsafeBufferPointer(rebasing: line[i..<(line.count - 1)])
        guard PlainScalar.isString(token) else { return nil }
        i = line.count
        return String(decoding: token, as: UTF8.self)
    }

    /// A plain scalar YAML reads as a string, ending the line.
    mutating func plainValue() -> String? {
        let token = UnsafeBufferPointer(rebasing: line[i...])
        guard PlainScalar.isString(token) else { return nil }
        i = line.count
        return String(decoding: token, as: UTF8.self)
    }

    /// `"text": ` where the double-quoted text is printable ASCII with no backslash: its value is
    /// then exactly the bytes between the quotes.
    mutating func simpleQuotedKey() -> String? {
        guard i < line.count, line[i] == UInt8(ascii: "\"") else { return nil }
        var j = i + 1
        while j < line.count, line[j] != UInt8(ascii: "\"") {
            let c = line[j]
            // Escapes, control characters and non-ASCII (YAML 1.1 counts U+0085, U+2028 and
            // U+2029 as line breaks, which a quoted scalar folds) are left to Yams.
            if c == UInt8(ascii: "\\") || c < 0x20 || c > 0x7E { return nil }
            j += 1
        }
        guard j < line.count else { return nil }
        let text = UnsafeBufferPointer(rebasing: line[(i + 1)..<j])
        i = j + 1
        guard literal(": ") else { return nil }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Which plain (unquoted) scalars YAML — Yams' default resolver — reads as strings.
enum PlainScalar {
    /// Conservative: true only for tokens of `A-Z a-z 0-9 _ . / -` that no rule of Yams' default
    /// resolver (bool, int, float, merge, null, timestamp, value) matches. False may also mean
    /// "not sure"; callers then ask Yams.
    ///
    /// - Starting with a letter: only the bool and null words match (`.inf`/`.nan` start with a
    ///   dot; numbers, timestamps, `<<`, `=` and `~` do not start with a letter).
    /// - Starting with a digit: ints and floats use no letter but `e`/`E` and the `0b`/`0o`/`0x`
    ///   prefixes; a timestamp's `T`/`t`/`Z` need a `:`, which is not accepted here.
    static func isString(_ token: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = token.first else { return false }
        var otherLetter = false  // a letter other than e/E
        for c in token {
            switch c {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
                if c != UInt8(ascii: "e") && c != UInt8(ascii: "E") { otherLetter = true }
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "."),
                 UInt8(ascii: "/"), UInt8(ascii: "-"):
                break
            default:
                return false
            }
        }
        if isLetter(first) { return !reservedWords.contains(String(decoding: token, as: UTF8.self)) }
        guard isDigit(first), otherLetter else { return false }
        if token.count >= 2, first == UInt8(ascii: "0") {
            let rest = token.dropFirst(2)
            switch token[1] {
            case UInt8(ascii: "b"): return !rest.allSatisfy { $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: "1") || $0 == UInt8(ascii: "_") }
            case UInt8(ascii: "o"), UInt8(ascii: "x"): return false  // never in a hash or a target name: ask Yams
            default: break
            }
        }
        return true
    }

    /// Yams' bool and null words that start with a letter.
    static let reservedWords: Set<String> = [
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL",
    ]

    private static func isLetter(_ c: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c)
    }

    private static func isDigit(_ c: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) }
}
