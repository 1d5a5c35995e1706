import Foundation

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
    private var dataBuffer = ""
    private var hasData = false
    private var eventType = ""
    private var lastEventID: String?
    private var retry: Int?
    /// Whether anything of an undispatched event was seen (for `finish()`).
    private var pending = false

    public init() {}

    /// Feeds the next bytes and returns the events they completed, in order.
    public mutating func push(_ bytes: some Sequence<UInt8>) -> [SSEEvent] {
        var events: [SSEEvent] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0A:
                processLine(into: &events)
            case 0x0D:
                afterCR = true
                processLine(into: &events)
            default:
                line.append(byte)
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
        var bytes = line[...]
        line.removeAll(keepingCapacity: true)
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
        var value: Substring = ""
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            field = String(decoding: bytes[..<colon], as: UTF8.self)
            var rest = bytes[(colon + 1)...]
            if rest.first == UInt8(ascii: " ") { rest = rest.dropFirst() }
            value = Substring(String(decoding: rest, as: UTF8.self))
        } else {
            field = String(decoding: bytes, as: UTF8.self)
        }
        switch field {
        case "event":
            eventType = String(value)
            pending = true
        case "data":
            if hasData { dataBuffer += "\n" }
            dataBuffer += value
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
            dataBuffer = ""
            hasData = false
            eventType = ""
            pending = false
        }
        guard hasData else { return }
        events.append(makeEvent())
    }

    private func makeEvent() -> SSEEvent {
        SSEEvent(event: eventType.isEmpty ? "message" : eventType, data: dataBuffer, id: lastEventID, retry: retry)
    }
}
