import FlyingFox
import FlyingSocks
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SplitMix64: small, fast and reproducible from a seed (the fake's random faults, and tests'
/// random schedules).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Byte chunks from an `AsyncThrowingStream`, as FlyingFox wants a body it sends chunk by chunk
/// (chunked transfer encoding when no count is given). A thrown error makes FlyingFox close the
/// connection without finishing the body.
struct ChunkSequence: AsyncBufferedSequence, Sendable {
    typealias Element = UInt8
    let chunks: AsyncThrowingStream<[UInt8], any Error>

    func makeAsyncIterator() -> Iterator { Iterator(base: chunks.makeAsyncIterator()) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        var base: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
        var buffer: [UInt8] = []
        var offset = 0

        mutating func next() async throws -> UInt8? {
            guard let slice = try await nextBuffer(suggested: 1) else { return nil }
            return slice.first
        }

        mutating func nextBuffer(suggested count: Int) async throws -> ArraySlice<UInt8>? {
            while offset >= buffer.count {
                guard let chunk = try await base.next() else { return nil }
                buffer = chunk
                offset = 0
            }
            let end = Swift.min(buffer.count, offset + Swift.max(1, count))
            defer { offset = end }
            return buffer[offset..<end]
        }
    }
}

struct FakeArkStreamAborted: Error {}

/// Sets TCP_NODELAY on every socket: FlyingFox writes head and body separately, and Nagle would
/// add ~40 ms to every kept-alive request (STACK.md §5).
struct NoDelayPool: AsyncSocketPool {
    let base: any AsyncSocketPool
    func prepare() async throws { try await base.prepare() }
    func run() async throws { try await base.run() }
    func suspendSocket(_ socket: Socket, untilReadyFor events: Socket.Events) async throws {
        var one: Int32 = 1
        _ = setsockopt(socket.file.rawValue, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        try await base.suspendSocket(socket, untilReadyFor: events)
    }
}

/// Drops the server side of the connection from client port `peerPort` to server port
/// `serverPort`: the socket is shut down (the client sees the connection end with no answer) and
/// set to linger 0, so FlyingFox's close then sends a reset.
func dropConnection(serverPort: Int, peerPort: Int) {
    for fd in Int32(3)..<Int32(4096) {
        var local = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let okLocal = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard okLocal == 0, local.sin_family == sa_family_t(AF_INET),
              Int(UInt16(bigEndian: local.sin_port)) == serverPort else { continue }
        var peer = sockaddr_in()
        len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let okPeer = withUnsafeMutablePointer(to: &peer) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &len) }
        }
        guard okPeer == 0, Int(UInt16(bigEndian: peer.sin_port)) == peerPort else { continue }
        var linger = linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        _ = shutdown(fd, Int32(SHUT_RDWR))
        return
    }
}

/// Reads the pixel size from a PNG or JPEG header (for seededit's `adaptive` size).
func imageDimensions(_ data: Data) -> (width: Int, height: Int)? {
    let b = [UInt8](data.prefix(256 * 1024))
    if b.count >= 24, b.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
        let w = Int(b[16]) << 24 | Int(b[17]) << 16 | Int(b[18]) << 8 | Int(b[19])
        let h = Int(b[20]) << 24 | Int(b[21]) << 16 | Int(b[22]) << 8 | Int(b[23])
        return (w, h)
    }
    guard b.count > 4, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
    var i = 2
    while i + 9 < b.count {
        guard b[i] == 0xFF else { i += 1; continue }
        let marker = b[i + 1]
        if marker == 0xFF { i += 1; continue }
        if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
        let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
        if (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker) {
            let h = Int(b[i + 5]) << 8 | Int(b[i + 6])
            let w = Int(b[i + 7]) << 8 | Int(b[i + 8])
            return (w, h)
        }
        i += 2 + length
    }
    return nil
}

/// The format the bytes really are, by their magic numbers.
func sniffFormat(_ data: Data) -> String? {
    let b = [UInt8](data.prefix(12))
    if b.starts(with: [0xFF, 0xD8, 0xFF]) { return "jpeg" }
    if b.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "png" }
    if b.count >= 12, b.starts(with: Array("RIFF".utf8)), Array(b[8..<12]) == Array("WEBP".utf8) { return "webp" }
    if b.starts(with: Array("GIF8".utf8)) { return "gif" }
    if b.starts(with: Array("BM".utf8)) { return "bmp" }
    if b.starts(with: [0x49, 0x49, 0x2A, 0x00]) || b.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { return "tiff" }
    return nil
}
