import CPNG
import Foundation
import AssetBuildSupport
import AssetBuildCatalog

/// PNG through libpng's simplified API (`png_image_*`), which reports errors in the `png_image`
/// struct instead of longjmp. 8-bit RGB only; alpha is composited onto white when decoding.
public enum PNGCodec {
    /// Encodes `image` as an 8-bit RGB PNG.
    public static func encode(_ image: RGBImage) throws -> Data {
        guard RGBImage.checkedSize(image.width, image.height) else {
            throw ImageCodecError.unsupportedSize(width: image.width, height: image.height)
        }
        var info = png_image()
        info.version = png_uint_32(PNG_IMAGE_VERSION)
        info.width = png_uint_32(image.width)
        info.height = png_uint_32(image.height)
        info.format = png_uint_32(PNG_FORMAT_RGB)
        // A generous first guess; libpng says how much it needs when the guess is short.
        var capacity = image.pixels.count + image.pixels.count / 8 + 4096
        for _ in 0..<2 {
            var output = [UInt8](repeating: 0, count: capacity)
            var size = png_alloc_size_t(capacity)
            let ok = image.pixels.withUnsafeBufferPointer { src in
                output.withUnsafeMutableBufferPointer { dst in
                    png_image_write_to_memory(&info, dst.baseAddress, &size, 0, src.baseAddress, 0, nil)
                }
            }
            if ok != 0 { return Data(output[0..<Int(size)]) }
            guard Int(size) > capacity else { break }
            capacity = Int(size)
            info.warning_or_error = 0
        }
        defer { png_image_free(&info) }
        throw ImageCodecError.png(message(of: info))
    }

    /// Decodes any PNG (palette, grey, 16-bit, alpha, interlaced) to 8-bit RGB.
    public static func decode(_ data: Data) throws -> RGBImage {
        var info = png_image()
        info.version = png_uint_32(PNG_IMAGE_VERSION)
        defer { png_image_free(&info) }
        let begun = data.withUnsafeBytes { raw in
            png_image_begin_read_from_memory(&info, raw.baseAddress, raw.count)
        }
        guard begun != 0 else { throw ImageCodecError.png(message(of: info)) }
        let width = Int(info.width), height = Int(info.height)
        guard RGBImage.checkedSize(width, height) else {
            throw ImageCodecError.unsupportedSize(width: width, height: height)
        }
        info.format = png_uint_32(PNG_FORMAT_RGB)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        var background = png_color(red: 255, green: 255, blue: 255)
        let ok = pixels.withUnsafeMutableBufferPointer { dst in
            png_image_finish_read(&info, &background, dst.baseAddress, 0, nil)
        }
        guard ok != 0 else { throw ImageCodecError.png(message(of: info)) }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    private static func message(of info: png_image) -> String {
        var copy = info.message
        let text = withUnsafeBytes(of: &copy) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return text.isEmpty ? "libpng failed" : text
    }
}
