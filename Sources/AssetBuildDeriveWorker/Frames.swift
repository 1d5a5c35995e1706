import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The framing of the `assetbuild-vips` pipe, both directions: each message is
///
///     u32 big-endian  header length H (at most `Frame.headerLimit`)
///     u32 big-endian  payload length P (at most `Frame.payloadLimit`)
///     H bytes         the header: one JSON object (`WireRequest` or `WireResponse`)
///     P bytes         the payload: the header's `blobs`, back to back (image bytes, raw)
///
/// so megabytes of image never pass through JSON or base64, and a reader always knows how much
/// to read next. The protocol's version is in every header (`WireProtocol.version`).
package enum Frame {
    package static let headerLimit = 1 << 20
    package static let payloadLimit = 1 << 30

    /// Why a frame could not be read or written.
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
        package init(_ description: String) { self.description = description }
    }

    /// The 8-byte prefix and the header, ready to write before the blobs.
    package static func head(header: Data, blobs: [Data]) -> Data {
        let payload = blobs.reduce(0) { $0 + $1.count }
        var head = Data(capacity: 8 + header.count)
        for value in [UInt32(header.count), UInt32(payload)] {
            withUnsafeBytes(of: value.bigEndian) { head.append(contentsOf: $0) }
        }
        head.append(header)
        return head
    }

    /// Writes one frame to `fd`. `send` writes with `MSG_NOSIGNAL` (the client's socket: a dead
    /// worker is an error to report, not a SIGPIPE that kills assetbuild).
    package static func write(header: Data, blobs: [Data], to fd: Int32, send useSend: Bool) throws(Failure) {
        let total = blobs.reduce(0) { $0 + $1.count }
        guard header.count <= headerLimit, total <= payloadLimit else {
            throw Failure("a frame of \(header.count) + \(total) bytes is over the limit")
        }
        for part in [head(header: header, blobs: blobs)] + blobs {
            try writeAll(part, to: fd, send: useSend)
        }
    }

    private static func writeAll(_ data: Data, to fd: Int32, send useSend: Bool) throws(Failure) {
        let failure: Failure? = data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let base = raw.baseAddress! + offset
                let n = useSend ? Glibc.send(fd, base, raw.count - offset, Int32(MSG_NOSIGNAL))
                                : Glibc.write(fd, base, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return Failure("write failed: \(String(cString: strerror(errno)))")
                }
                offset += n
            }
            return nil
        }
        if let failure { throw failure }
    }

    /// Reads one frame from `fd`: its header bytes and payload; nil when the stream ends cleanly
    /// between frames. A stream that ends inside a frame, or lengths over the limits, throw.
    package static func read(from fd: Int32) throws(Failure) -> (header: Data, payload: Data)? {
        guard let prefix = try readExactly(8, from: fd, endAllowed: true) else { return nil }
        let lengths = prefix.withUnsafeBytes { raw in
            (Int(UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self))),
             Int(UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self))))
        }
        guard lengths.0 <= headerLimit, lengths.1 <= payloadLimit else {
            throw Failure("a frame announced \(lengths.0) + \(lengths.1) bytes, over the limit (not this protocol?)")
        }
        let header = try readExactly(lengths.0, from: fd, endAllowed: false) ?? Data()
        let payload = try readExactly(lengths.1, from: fd, endAllowed: false) ?? Data()
        return (header, payload)
    }

    private static func readExactly(_ count: Int, from fd: Int32, endAllowed: Bool) throws(Failure) -> Data? {
        var data = Data(count: count)
        let got: Int = data.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < count {
                let n = Glibc.read(fd, raw.baseAddress! + offset, count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return -Int(errno)
                }
                if n == 0 { break }
                offset += n
            }
            return offset
        }
        if got < 0 { throw Failure("read failed: \(String(cString: strerror(Int32(-got))))") }
        if got == 0 && endAllowed && count > 0 { return nil }
        guard got == count else { throw Failure("the stream ended inside a frame (\(got) of \(count) bytes)") }
        return data
    }

    /// Splits a payload into the blobs whose lengths the header lists.
    package static func blobs(_ payload: Data, lengths: [Int]) throws(Failure) -> [Data] {
        guard lengths.allSatisfy({ $0 >= 0 }), lengths.reduce(0, +) == payload.count else {
            throw Failure("the header lists blobs of \(lengths) bytes, the payload has \(payload.count)")
        }
        var blobs: [Data] = []
        var start = payload.startIndex
        for length in lengths {
            blobs.append(payload.subdata(in: start..<start + length))
            start += length
        }
        return blobs
    }
}
