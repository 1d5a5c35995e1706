import CVips
import Foundation
import AssetBuildSupport

/// The process's libvips: started once, on first use, from any thread.
///
/// Why it is safe from many tasks at once: `started` is a `static let`, which Swift initialises
/// exactly once under `swift_once` however many threads reach it first, so `VIPS_INIT` runs once
/// and every caller sees its result; after init libvips' operations are thread-safe. Images are
/// never shared between derivations (`VipsImageRef` is not Sendable), and the error buffer is
/// read and cleared in one locked step by `vips_error_buffer_copy` (the buffer is process-wide:
/// two operations failing at the same instant can each see both messages, never a crash).
public enum Vips {
    private static let started: Result<Void, DeriveError> = {
        if cvips_init() != 0 { return .failure(.libraryUnavailable(takeError())) }
        return .success(())
    }()

    /// Starts libvips if needed; throws if it cannot start.
    package static func start() throws(DeriveError) {
        try started.get()
    }

    /// The libvips version, e.g. "8.14.1": part of every derived action's key, since another
    /// libvips can give other bytes for the same spec.
    public static var version: String {
        String(cString: vips_version_string())
    }

    /// libvips' error text since the last call (trimmed), and clears it.
    package static func takeError() -> String {
        guard let copy = vips_error_buffer_copy() else { return "unknown error" }
        defer { g_free(copy) }
        let text = String(cString: copy).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "unknown error" : text.replacingOccurrences(of: "\n", with: "; ")
    }

    /// `body` over `data`'s bytes, with typed throws (`Data.withUnsafeBytes` only rethrows
    /// untyped). libvips reads buffers lazily: every image made from them must be saved or
    /// copied to memory inside `body`.
    package static func withBytes<T>(of data: Data,
                             _ body: (UnsafeRawBufferPointer) throws(DeriveError) -> T) throws(DeriveError) -> T {
        let result: Result<T, DeriveError> = data.withUnsafeBytes { raw in
            do throws(DeriveError) { return .success(try body(raw)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Runs one libvips operation that writes an image to `out`, wrapping the result; a failure
    /// becomes `DeriveError.vips` with libvips' message.
    package static func make(_ operation: String,
                     _ body: (UnsafeMutablePointer<UnsafeMutablePointer<VipsImage>?>) -> Int32) throws(DeriveError) -> VipsImageRef {
        var out: UnsafeMutablePointer<VipsImage>?
        let status = body(&out)
        guard status == 0, let image = out else {
            if let out { g_object_unref(out) }
            throw .vips(operation: operation, message: takeError())
        }
        return VipsImageRef(image)
    }

    /// Runs one saver, returning the encoded bytes (copied out of libvips' buffer, which is freed).
    package static func save(_ operation: String,
                     _ body: (UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafeMutablePointer<Int>) -> Int32) throws(DeriveError) -> Data {
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        let status = body(&buffer, &length)
        defer { if let buffer { g_free(buffer) } }
        guard status == 0, let buffer else { throw .vips(operation: operation, message: takeError()) }
        return Data(bytes: buffer, count: length)
    }
}

/// One libvips image, released when the last Swift reference goes. Images are lazy pipelines:
/// pixels are computed when a saver (or `copyMemory`) pulls them, so whatever buffer an image was
/// loaded from must stay alive until then.
package final class VipsImageRef {
    package let pointer: UnsafeMutablePointer<VipsImage>

    package init(_ pointer: UnsafeMutablePointer<VipsImage>) {
        self.pointer = pointer
    }

    deinit { g_object_unref(pointer) }

    package var width: Int { Int(vips_image_get_width(pointer)) }
    package var height: Int { Int(vips_image_get_height(pointer)) }
    package var bands: Int { Int(vips_image_get_bands(pointer)) }
    package var hasAlpha: Bool { vips_image_hasalpha(pointer) != 0 }
    package var hasICCProfile: Bool { cvips_has_icc_profile(pointer) != 0 }
    package var interpretation: VipsInterpretation { vips_image_get_interpretation(pointer) }
    package var format: VipsBandFormat { vips_image_get_format(pointer) }

    /// The size once the orientation tag is applied (thumbnail rotates upright).
    package var uprightSize: (width: Int, height: Int) {
        vips_image_get_orientation_swap(pointer) != 0 ? (height, width) : (width, height)
    }

    /// The loader libvips picked, e.g. "jpegload_buffer" (nil when the image was not loaded).
    package var loader: String? {
        // Checked first: a failed get would write to the error buffer another thread may be reading.
        var value: UnsafePointer<CChar>?
        guard vips_image_get_typeof(pointer, "vips-loader") != 0,
              vips_image_get_string(pointer, "vips-loader", &value) == 0, let value else { return nil }
        return String(cString: value)
    }

    /// sRGB, 8 bits per band (alpha kept).
    package func toSRGB8() throws(DeriveError) -> VipsImageRef {
        var image = self
        if interpretation != VIPS_INTERPRETATION_sRGB {
            image = try Vips.make("colourspace") { cvips_colourspace(image.pointer, $0, VIPS_INTERPRETATION_sRGB) }
        }
        if image.format != VIPS_FORMAT_UCHAR {
            let source = image
            image = try Vips.make("cast") { cvips_cast(source.pointer, $0, VIPS_FORMAT_UCHAR) }
        }
        return image
    }

    /// The same image with an opaque alpha band added when it has none.
    package func withAlpha() throws(DeriveError) -> VipsImageRef {
        hasAlpha ? self : try Vips.make("bandjoin_const1") { cvips_bandjoin_const1(pointer, $0, 255) }
    }

    /// The image rendered into memory, independent of the buffer it was loaded from.
    package func copyMemory() throws(DeriveError) -> VipsImageRef {
        guard let copy = vips_image_copy_memory(pointer) else {
            throw .vips(operation: "copy_memory", message: Vips.takeError())
        }
        return VipsImageRef(copy)
    }
}
