import CVips
import Foundation
import AssetBuildSupport

/// Reads images back through libvips: the size and format of any file it can load (AVIF too,
/// which `ImageProbe` does not know), and decoded pixels for checks.
public enum DerivedImageReader {
    /// What the bytes decode to, read from the bytes alone.
    public struct Info: Sendable, Hashable {
        /// The format named by libvips' loader (nil for one outside `DeriveFormat`).
        public var format: DeriveFormat?
        public var width: Int
        public var height: Int
        public var bands: Int
        public var hasAlpha: Bool
        /// Whether any ICC profile, EXIF or XMP block survived in the file.
        public var hasMetadata: Bool
    }

    /// The header of `data` (no pixel is decoded).
    public static func info(_ data: Data) throws(DeriveError) -> Info {
        try Vips.start()
        return try Vips.withBytes(of: data) { raw throws(DeriveError) in
            guard let base = raw.baseAddress else { throw .sourceNotAnImage("the data is empty") }
            var header: UnsafeMutablePointer<VipsImage>?
            guard cvips_header_from_buffer(base, raw.count, &header) == 0, let header else {
                throw .sourceNotAnImage(Vips.takeError())
            }
            let image = VipsImageRef(header)
            let metadata = image.hasICCProfile || vips_image_get_typeof(header, "exif-data") != 0
                || vips_image_get_typeof(header, "xmp-data") != 0
            return Info(format: format(loader: image.loader), width: image.width, height: image.height,
                        bands: image.bands, hasAlpha: image.hasAlpha, hasMetadata: metadata)
        }
    }

    /// The pixels of `data` as 8-bit sRGB with alpha (opaque where the file has none), row-major.
    public static func rgba(_ data: Data) throws(DeriveError) -> (width: Int, height: Int, pixels: [UInt8]) {
        try Vips.start()
        return try Vips.withBytes(of: data) { raw throws(DeriveError) in
            guard let base = raw.baseAddress else { throw .sourceNotAnImage("the data is empty") }
            let loaded = try Vips.make("image_new_from_buffer") { cvips_load_buffer_memory(base, raw.count, $0) }
            let image = try loaded.toSRGB8().withAlpha()
            var length = 0
            guard let memory = vips_image_write_to_memory(image.pointer, &length) else {
                throw .vips(operation: "write_to_memory", message: Vips.takeError())
            }
            defer { g_free(memory) }
            return (image.width, image.height, [UInt8](UnsafeRawBufferPointer(start: memory, count: length)))
        }
    }

    package static func format(loader: String?) -> DeriveFormat? {
        guard let loader else { return nil }
        if loader.hasPrefix("jpegload") { return .jpeg }
        if loader.hasPrefix("pngload") { return .png }
        if loader.hasPrefix("webpload") { return .webp }
        if loader.hasPrefix("heifload") { return .avif }
        return nil
    }
}
