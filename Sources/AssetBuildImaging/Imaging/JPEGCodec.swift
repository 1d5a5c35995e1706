import CTurboJPEG
import Foundation
import AssetBuildSupport
import AssetBuildCatalog

/// Baseline JPEG through TurboJPEG's handle API, which reports errors by return code (the classic
/// libjpeg API needs setjmp, which Swift cannot use). Each call owns its own handle, so the codec is
/// safe to use from any number of threads.
public enum JPEGCodec {
    /// Encodes `image` as a baseline JPEG with 4:2:0 chroma subsampling; `quality` is clamped to 1…100.
    public static func encode(_ image: RGBImage, quality: Int = 90) throws -> Data {
        guard RGBImage.checkedSize(image.width, image.height) else {
            throw ImageCodecError.unsupportedSize(width: image.width, height: image.height)
        }
        guard let handle = tjInitCompress() else { throw ImageCodecError.jpeg(lastError(nil)) }
        defer { tjDestroy(handle) }
        var output: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        defer { if let output { tjFree(output) } }
        let status = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(handle, src.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
                        &output, &size, Int32(TJSAMP_420.rawValue), Int32(min(max(quality, 1), 100)), 0)
        }
        guard status == 0, let output else { throw ImageCodecError.jpeg(lastError(handle)) }
        return Data(bytes: output, count: Int(size))
    }

    /// Decodes a JPEG to RGB. With `maxDimension`, TurboJPEG decodes at the smallest of its scaling
    /// factors (1/8, 1/4, 3/8, …, 1) whose longer side is still ≥ `maxDimension` (or at full size when
    /// the image is smaller): cheap, and the caller box-scales the rest of the way.
    public static func decode(_ data: Data, maxDimension: Int? = nil) throws -> RGBImage {
        guard let handle = tjInitDecompress() else { throw ImageCodecError.jpeg(lastError(nil)) }
        defer { tjDestroy(handle) }
        return try data.withUnsafeBytes { raw throws -> RGBImage in
            let bytes = raw.bindMemory(to: UInt8.self)
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(handle, bytes.baseAddress, UInt(bytes.count), &width, &height,
                                      &subsampling, &colorspace) == 0 else {
                throw ImageCodecError.jpeg(lastError(handle))
            }
            let (w, h) = scaledSize(width: Int(width), height: Int(height), maxDimension: maxDimension)
            guard RGBImage.checkedSize(w, h) else { throw ImageCodecError.unsupportedSize(width: w, height: h) }
            var pixels = [UInt8](repeating: 0, count: w * h * 3)
            let status = pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, bytes.baseAddress, UInt(bytes.count), dst.baseAddress, Int32(w), 0, Int32(h),
                              Int32(TJPF_RGB.rawValue), 0)
            }
            // A warning (e.g. a truncated but displayable file) still leaves usable pixels.
            if status != 0 && tjGetErrorCode(handle) != Int32(TJERR_WARNING.rawValue) {
                throw ImageCodecError.jpeg(lastError(handle))
            }
            return RGBImage(width: w, height: h, pixels: pixels)
        }
    }

    /// Why `check` refused a JPEG: TurboJPEG's words, and whether they say the data ends early.
    public struct CheckFailure: Error, Sendable, Hashable {
        public var message: String
        public var cut: Bool
    }

    /// Decodes every scan of a JPEG at the smallest scale TurboJPEG offers (1/8: the entropy
    /// decoding that finds damage is whole, the pixels are few) and refuses it on any warning as
    /// well as on errors, unlike `decode`: a file cut short or corrupt inside is not a finished image.
    public static func check(_ data: Data) throws(CheckFailure) {
        guard let handle = tjInitDecompress() else { throw CheckFailure(message: lastError(nil), cut: false) }
        defer { tjDestroy(handle) }
        let failure: CheckFailure? = data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(handle, bytes.baseAddress, UInt(bytes.count), &width, &height,
                                      &subsampling, &colorspace) == 0 else {
                return CheckFailure(message: lastError(handle), cut: false)
            }
            let (w, h) = scaledSize(width: Int(width), height: Int(height), maxDimension: 1)
            guard RGBImage.checkedSize(w, h) else {
                return CheckFailure(message: "unsupported image size \(width)×\(height)", cut: false)
            }
            var pixels = [UInt8](repeating: 0, count: w * h * 3)
            let status = pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, bytes.baseAddress, UInt(bytes.count), dst.baseAddress, Int32(w), 0, Int32(h),
                              Int32(TJPF_RGB.rawValue), 0)
            }
            guard status != 0 else { return nil }
            let message = lastError(handle)
            return CheckFailure(message: message.lowercased(), cut: message.range(of: "premature end", options: .caseInsensitive) != nil)
        }
        if let failure { throw failure }
    }

    /// The decoded size for `maxDimension`, using only the scaling factors TurboJPEG supports (≤ 1).
    package static func scaledSize(width: Int, height: Int, maxDimension: Int?) -> (Int, Int) {
        guard let maxDimension, maxDimension > 0 else { return (width, height) }
        var count: Int32 = 0
        guard let factors = tjGetScalingFactors(&count) else { return (width, height) }
        var best = (width, height)
        for i in 0..<Int(count) {
            let f = factors[i]
            guard f.num <= f.denom else { continue }
            // TJSCALED: ceil(dimension * num / denom)
            let w = (width * Int(f.num) + Int(f.denom) - 1) / Int(f.denom)
            let h = (height * Int(f.num) + Int(f.denom) - 1) / Int(f.denom)
            if max(w, h) >= maxDimension && w * h < best.0 * best.1 { best = (w, h) }
        }
        return best
    }

    private static func lastError(_ handle: tjhandle?) -> String {
        guard let message = tjGetErrorStr2(handle) else { return "unknown turbojpeg error" }
        return String(cString: message)
    }
}
