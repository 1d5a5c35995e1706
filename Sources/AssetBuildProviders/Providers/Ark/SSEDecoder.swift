import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// One dispatched Server-Sent Event.
public struct SSEEvent: Sendable, Hashable {
    /// The `event:` field, or "message" when the event named none.
    public var event: String
    /// The `data:` lines joined with "\n".
    public var data: String
    /// The last event id seen so far (`id:` persists across events, as the spec says).
    public var id: String?
    /// The most recent valid `retry:` value in milliseconds, if any.
    public var retry: Int?

    public init(event: String = "message", data: String, id: String? = nil, retry: Int? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }
}

/// An incremental `text/event-stream` decoder following the WHATWG HTML spec ("Parsing an event
/// stream"): lines end in LF, CRLF or CR, a blank line dispatches, `data:` lines accumulate and are
/// joined with LF, lines starting with ':' are comments, unknown fields are ignored. Bytes may be
/// pushed split at any offset, including between the CR and LF of one line end.
public struct SSEDecoder: Sendable {
    private var line: [UInt8] = []
    private var afterCR = false
    private var atStart = true
    /// `data:` lines of the event being built, joined with LF, as bytes (one String per event).
    private var dataBuffer: [UInt8] = []
    private var hasData = false
    private var eventType = ""
    private var lastEventID: String?
    private var retry: Int?
    /// Whether anything of an undispatched event was seen (for `finish()`).
    private var pending = false

    public init() {}

    /// Bytes held for the line and the event not finished yet: a reader bounds an event's size
    /// by checking this after each `push`.
    public var pendingBytes: Int { line.count + dataBuffer.count }

    /// Feeds the next bytes and returns the events they completed, in order.
    public mutating func push(_ bytes: some Sequence<UInt8>) -> [SSEEvent] {
        push(Data(bytes))
    }

    /// Feeds the next bytes: line ends are found with `memchr`, so megabyte-long `data:` lines
    /// (base64 images) cost a scan, not a loop iteration per byte.
    public mutating func push(_ data: Data) -> [SSEEvent] {
        var events: [SSEEvent] = []
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard let base = raw.baseAddress else { return }
            let n = raw.count
            var i = 0
            while i < n {
                if afterCR {
                    afterCR = false
                    if raw[i] == 0x0A { i += 1; continue }
                }
                let rest = n - i
                let lf = memchr(base + i, 0x0A, rest).map { $0 - UnsafeMutableRawPointer(mutating: base) } ?? n
                let cr = memchr(base + i, 0x0D, min(rest, lf - i)).map { $0 - UnsafeMutableRawPointer(mutating: base) } ?? n
                let end = min(lf, cr)
                line.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[i..<end]))
                if end == n { break }
                if raw[end] == 0x0D { afterCR = true }
                processLine(into: &events)
                i = end + 1
            }
        }
        return events
    }

    /// The event that was still being built when the stream ended. The spec discards it; a caller
    /// may still look at it (a final `data: [DONE]` without its blank line, say).
    public mutating func finish() -> SSEEvent? {
        var events: [SSEEvent] = []
        if !line.isEmpty { processLine(into: &events) }
        defer { self = SSEDecoder() }
        guard pending, hasData else { return nil }
        return makeEvent()
    }

    private mutating func processLine(into events: inout [SSEEvent]) {
        let whole = line
        var bytes = whole[...]
        // Keep a small buffer's capacity; let a megabyte line's go.
        line.removeAll(keepingCapacity: line.capacity <= 64 << 10)
        if atStart {
            atStart = false
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        }
        if bytes.isEmpty {
            dispatch(into: &events)
            return
        }
        if bytes.first == UInt8(ascii: ":") { return }
        let field: String
        var dataValue: ArraySlice<UInt8> = []
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: bytes[..<colon], as: UTF8.self)
            dataValue = bytes[(colon + 1)...]
            if dataValue.first == UInt8(ascii: " ") { dataValue = dataValue.dropFirst() }
        } else {
            field = String(decoding: bytes, as: UTF8.self)
        }
        // Only `data:` values can be large; the other fields are decoded as text.
        let value = field == "data" ? "" : String(decoding: dataValue, as: UTF8.self)
        switch field {
        case "event":
            eventType = String(value)
            pending = true
        case "data":
            if hasData { dataBuffer.append(0x0A) }
            dataBuffer.append(contentsOf: dataValue)
            hasData = true
            pending = true
        case "id":
            if !value.contains("\0") { lastEventID = String(value) }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ $0.isASCII && $0.isNumber }), let ms = Int(value) { retry = ms }
        default:
            break
        }
    }

    private mutating func dispatch(into events: inout [SSEEvent]) {
        defer {
            dataBuffer.removeAll(keepingCapacity: dataBuffer.capacity <= 64 << 10)
            hasData = false
            eventType = ""
            pending = false
        }
        guard hasData else { return }
        events.append(makeEvent())
    }

    private func makeEvent() -> SSEEvent {
        SSEEvent(event: eventType.isEmpty ? "message" : eventType, data: String(decoding: dataBuffer, as: UTF8.self),
                 id: lastEventID, retry: retry)
    }
}
