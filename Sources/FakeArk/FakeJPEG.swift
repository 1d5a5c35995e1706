import CTurboJPEG
import Foundation
import Synchronization

/// Real JPEGs of any size for the fake's answers: a horizontal gradient of one colour per image,
/// encoded with TurboJPEG and cached per (width, height, colour, quality), so 4K answers stay cheap.
/// `noisy` adds grain so the files are as large as real photographs (1–3 MB at 2K), for memory
/// and throughput measurements.
enum FakeJPEG {
    private struct Key: Hashable { var width, height, colour, quality: Int; var noisy: Bool }
    private static let cache = Mutex<[Key: Data]>([:])

    static let palette: [(UInt8, UInt8, UInt8)] = [
        (220, 80, 60), (60, 140, 220), (80, 180, 90), (230, 180, 40),
        (150, 90, 200), (40, 190, 190), (200, 100, 150), (120, 120, 120),
    ]

    static func jpeg(width: Int, height: Int, colour: Int, quality: Int = 80, noisy: Bool = false) -> Data {
        let key = Key(width: width, height: height, colour: colour % palette.count, quality: quality, noisy: noisy)
        if let hit = cache.withLock({ $0[key] }) { return hit }
        let data = encode(key)
        cache.withLock { $0[key] = data }
        return data
    }

    private static func encode(_ key: Key) -> Data {
        let (r, g, b) = palette[key.colour]
        let rowBytes = key.width * 3
        var pixels = [UInt8](repeating: 0, count: rowBytes * key.height)
        pixels.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            for x in 0..<key.width {
                let shade = 0.55 + 0.45 * Double(x) / Double(max(1, key.width - 1))
                base[x * 3] = UInt8(Double(r) * shade)
                base[x * 3 + 1] = UInt8(Double(g) * shade)
                base[x * 3 + 2] = UInt8(Double(b) * shade)
            }
            for y in 1..<max(1, key.height) {
                (base + y * rowBytes).update(from: base, count: rowBytes)
            }
            if key.noisy {
                var state: UInt32 = 0x9E37_79B9 &* UInt32(truncatingIfNeeded: key.colour + 1)
                for i in 0..<buf.count {
                    state = state &* 1_664_525 &+ 1_013_904_223
                    let grain = Int(state >> 26) - 32
                    base[i] = UInt8(clamping: Int(base[i]) + grain)
                }
            }
        }
        guard let handle = tjInitCompress() else { return Data() }
        defer { tjDestroy(handle) }
        var out: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let rc = pixels.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(key.width), 0, Int32(key.height), Int32(TJPF_RGB.rawValue),
                        &out, &size, Int32(TJSAMP_420.rawValue), Int32(key.quality), Int32(TJFLAG_FASTDCT))
        }
        defer { if let out { tjFree(out) } }
        guard rc == 0, let out else { return Data() }
        return Data(bytes: out, count: Int(size))
    }
}
