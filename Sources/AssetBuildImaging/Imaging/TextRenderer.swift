import CFreeType
import Foundation
import Synchronization
import AssetBuildSupport
import AssetBuildCatalog

/// Draws anti-aliased text into `RGBImage`s with FreeType.
///
/// Faces form a fallback chain: a Latin face (DejaVu Sans) first, then a CJK face when one is
/// installed, so each character comes from the first face that has it. With no font file at all,
/// every character is drawn as a hollow box: text never crashes and never disappears silently.
///
/// Thread safety: the FreeType library, the faces and the glyph cache live in `freeType` and are
/// only touched under its lock; glyphs leave it as immutable copies, so drawing runs unlocked.
public final class TextRenderer: Sendable {
    /// The process-wide renderer over the default font search.
    public static let shared = TextRenderer()

    /// Where the default search looks, in order of preference.
    public static let regularFontCandidates = [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    ]
    public static let boldFontCandidates = [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
        "/usr/share/fonts/truetype/freefont/FreeSansBold.ttf",
    ]
    public static let cjkFontCandidates = [
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
        "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        "/usr/share/fonts/truetype/arphic/uming.ttc",
    ]

    /// FreeType's handles (not thread-safe) and the glyphs rendered with them.
    private struct FreeType {
        package var library: FT_Library?
        /// Fallback chains; index 0 is the preferred face. Both may be empty (box glyphs).
        package var regularChain: [FT_Face]
        package var boldChain: [FT_Face]
        package var allFaces: [FT_Face]
        package var cache: [GlyphKey: Glyph] = [:]
    }

    private let freeType: Mutex<FreeType>
    /// The cache is dropped wholesale beyond this many glyphs (a draft uses a few hundred).
    private static let cacheLimit = 4096

    /// Whether at least one font file loaded; when false every character is drawn as a box.
    public let hasFonts: Bool

    /// The font files that were loaded, for diagnostics.
    public let loadedFontPaths: [String]

    /// The default search: the first existing file of each candidate list.
    public convenience init() {
        let fm = FileManager.default
        func first(_ list: [String]) -> String? { list.first { fm.isReadableFile(atPath: $0) } }
        self.init(regular: first(Self.regularFontCandidates), bold: first(Self.boldFontCandidates),
                  fallbacks: first(Self.cjkFontCandidates).map { [$0] } ?? [])
    }

    /// Explicit font files; missing or unreadable ones are skipped. A missing bold face falls back to
    /// the regular one; `fallbacks` are tried, in order, for characters the first face lacks.
    public init(regular: String?, bold: String?, fallbacks: [String] = []) {
        var ftLibrary: FT_Library?
        guard FT_Init_FreeType(&ftLibrary) == 0, let ftLibrary else {
            freeType = Mutex(FreeType(library: nil, regularChain: [], boldChain: [], allFaces: []))
            (hasFonts, loadedFontPaths) = (false, [])
            return
        }
        var loaded: [String] = []
        var faces: [FT_Face] = []
        func open(_ path: String?) -> FT_Face? {
            guard let path else { return nil }
            var face: FT_Face?
            guard FT_New_Face(ftLibrary, path, 0, &face) == 0, let face else { return nil }
            loaded.append(path)
            faces.append(face)
            return face
        }
        let regularFace = open(regular)
        let boldFace = open(bold)
        let fallbackFaces = fallbacks.compactMap { open($0) }
        let regularChain = [regularFace].compactMap { $0 } + fallbackFaces
        hasFonts = !regularChain.isEmpty
        loadedFontPaths = loaded
        freeType = Mutex(FreeType(library: ftLibrary, regularChain: regularChain,
                                  boldChain: [boldFace ?? regularFace].compactMap { $0 } + fallbackFaces, allFaces: faces))
    }

    deinit {
        freeType.withLock { ft in
            for face in ft.allFaces { FT_Done_Face(face) }
            if let library = ft.library { FT_Done_FreeType(library) }
        }
    }

    /// Vertical metrics for text set at `pixelHeight` (the em size in pixels). They are fixed
    /// fractions of the em, so a line's height does not depend on which face supplied its glyphs.
    public static func lineMetrics(pixelHeight: Int) -> (ascent: Int, lineHeight: Int) {
        let px = min(max(1, pixelHeight), maxPixelHeight)
        return (Int((Double(px) * 0.95).rounded()), max(1, Int((Double(px) * 1.28).rounded())))
    }

    /// Text is set at 1…`maxPixelHeight` pixels; larger requests are clamped (glyph bitmaps stay small).
    public static let maxPixelHeight = 2048

    /// The glyphs for `scalars`, in order, loading the missing ones under the lock.
    package func glyphs(for scalars: [Unicode.Scalar], pixelHeight: Int, bold: Bool) -> [Glyph] {
        let px = min(max(1, pixelHeight), Self.maxPixelHeight)
        return freeType.withLock { ft in
            if ft.cache.count > Self.cacheLimit { ft.cache.removeAll(keepingCapacity: true) }
            return scalars.map { scalar in
                let key = GlyphKey(scalar: scalar.value, pixelHeight: px, bold: bold)
                if let glyph = ft.cache[key] { return glyph }
                let glyph = Self.loadGlyph(scalar, pixelHeight: px, chain: bold ? ft.boldChain : ft.regularChain)
                ft.cache[key] = glyph
                return glyph
            }
        }
    }

    /// Renders one glyph from the first face of `chain` that maps `scalar`; the first face's
    /// "missing glyph" box when none does; a synthetic box when there are no faces. Only under
    /// `freeType`'s lock (the faces are not thread-safe).
    private static func loadGlyph(_ scalar: Unicode.Scalar, pixelHeight px: Int, chain: [FT_Face]) -> Glyph {
        guard let primary = chain.first else { return Glyph.box(pixelHeight: px) }
        var face = primary
        var index: FT_UInt = 0
        for candidate in chain {
            let found = FT_Get_Char_Index(candidate, FT_ULong(scalar.value))
            if found != 0 {
                face = candidate
                index = found
                break
            }
        }
        guard FT_Set_Pixel_Sizes(face, 0, FT_UInt(px)) == 0,
              FT_Load_Glyph(face, index, FT_Int32(FT_LOAD_RENDER)) == 0,
              let slot = face.pointee.glyph else { return Glyph.box(pixelHeight: px) }
        let bitmap = slot.pointee.bitmap
        let width = Int(bitmap.width), rows = Int(bitmap.rows), pitch = Int(bitmap.pitch)
        var coverage = [UInt8](repeating: 0, count: width * rows)
        if let buffer = bitmap.buffer, width > 0, rows > 0, bitmap.pixel_mode == UInt8(FT_PIXEL_MODE_GRAY.rawValue) {
            coverage.withUnsafeMutableBufferPointer { dst in
                for row in 0..<rows {
                    memcpy(dst.baseAddress! + row * width, buffer + row * pitch, width)
                }
            }
        }
        return Glyph(width: width, rows: rows, left: Int(slot.pointee.bitmap_left), top: Int(slot.pointee.bitmap_top),
                     advance: Int((Double(slot.pointee.advance.x) / 64).rounded()), coverage: coverage)
    }
}

/// Identifies a rendered glyph: the character, its size and its weight.
package struct GlyphKey: Hashable {
    package var scalar: UInt32
    package var pixelHeight: Int
    package var bold: Bool
}

/// One rendered glyph: an 8-bit coverage bitmap placed relative to the pen on the baseline.
/// Invariant: `coverage.count == width * rows`.
package struct Glyph: Sendable {
    package var width: Int
    package var rows: Int
    /// Offset from the pen to the bitmap's left edge.
    package var left: Int
    /// Distance from the baseline up to the bitmap's top row.
    package var top: Int
    /// How far the pen moves after this glyph, in whole pixels.
    package var advance: Int
    package var coverage: [UInt8]

    /// A hollow box the size of a capital letter: the stand-in when no font could be loaded.
    package static func box(pixelHeight px: Int) -> Glyph {
        let width = max(3, px * 5 / 10), rows = max(3, px * 7 / 10)
        let t = max(1, px / 14)
        var coverage = [UInt8](repeating: 0, count: width * rows)
        for y in 0..<rows {
            for x in 0..<width where x < t || x >= width - t || y < t || y >= rows - t {
                coverage[y * width + x] = 255
            }
        }
        return Glyph(width: width, rows: rows, left: max(1, px / 20), top: rows, advance: max(4, px * 6 / 10),
                     coverage: coverage)
    }
}
