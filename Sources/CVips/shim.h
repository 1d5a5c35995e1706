#pragma once
// Fixed-arity wrappers over libvips' variadic C API (Swift cannot call a C variadic function),
// plus the few Pango and fontconfig calls that resolve a font name the way vips_text will.
// Every wrapper returns 0 on success and -1 on failure, with the reason in vips' error buffer.
// SwiftPM does not recompile Swift files when this header changes: after editing it, touch a
// file in Sources/AssetBuildCore/Derive/ (or `swift package clean`), or the old code stays.
#include <vips/vips.h>
#include <pango/pango-font.h>
#include <fontconfig/fontconfig.h>
#include <webp/mux.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

static void cvips_ignore_log(const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data) {
    (void)domain; (void)level; (void)message; (void)data;
}

/// Starts libvips once per process (the caller guarantees once). Turns off the operation cache,
/// so memory is bounded by the images in flight, and silences libvips' own warnings on stderr
/// (e.g. "heifload: ignoring nclx profile"); errors still come back through the error buffer.
///
/// Also fixes glibc's mmap threshold at 128 KiB for the process. By default glibc raises it to
/// the size of each large block freed, so after one image the next image's buffers come from the
/// heap arenas of the threads that touched them and stay resident: two workers deriving the
/// issue's five variants peaked at 368 MB, and at 191 MB with the fixed threshold (bench/derive.py).
static inline int cvips_init(void) {
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
    if (VIPS_INIT("assetbuild")) return -1;
    vips_cache_set_max(0);
    g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, cvips_ignore_log, NULL);
    return 0;
}

/// Header only: the pixels are read later, from `buf`, which must outlive every image made from it.
static inline int cvips_header_from_buffer(const void *buf, size_t len, VipsImage **out) {
    *out = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    return *out ? 0 : -1;
}

/// Decodes the whole image into memory (for small inputs such as logos, and for tests).
static inline int cvips_load_buffer_memory(const void *buf, size_t len, VipsImage **out) {
    VipsImage *lazy = vips_image_new_from_buffer(buf, len, "", NULL);
    if (!lazy) return -1;
    *out = vips_image_copy_memory(lazy);
    g_object_unref(lazy);
    return *out ? 0 : -1;
}

static inline gboolean cvips_has_icc_profile(VipsImage *in) {
    return vips_image_get_typeof(in, VIPS_META_ICC_NAME) != 0;
}

/// Shrink-on-load resize. `export_profile` may be NULL (then the embedded profile is ignored and
/// the image goes to sRGB with vips_colourspace).
static inline int cvips_thumbnail_buffer(const void *buf, size_t len, VipsImage **out, int width, int height,
                                         VipsSize size, VipsInteresting crop, const char *export_profile) {
    if (export_profile)
        return vips_thumbnail_buffer((void *)buf, len, out, width, "height", height, "size", size, "crop", crop,
                                     "export_profile", export_profile, NULL);
    return vips_thumbnail_buffer((void *)buf, len, out, width, "height", height, "size", size, "crop", crop, NULL);
}

static inline int cvips_colourspace(VipsImage *in, VipsImage **out, VipsInterpretation space) {
    return vips_colourspace(in, out, space, NULL);
}

static inline int cvips_cast(VipsImage *in, VipsImage **out, VipsBandFormat format) {
    return vips_cast(in, out, format, NULL);
}

static inline int cvips_copy_interpretation(VipsImage *in, VipsImage **out, VipsInterpretation space) {
    return vips_copy(in, out, "interpretation", space, NULL);
}

static inline int cvips_flatten(VipsImage *in, VipsImage **out, const double *background, int n) {
    VipsArrayDouble *bg = vips_array_double_new(background, n);
    int result = vips_flatten(in, out, "background", bg, NULL);
    vips_area_unref(VIPS_AREA(bg));
    return result;
}

static inline int cvips_extract_bands(VipsImage *in, VipsImage **out, int first, int n) {
    return vips_extract_band(in, out, first, "n", n, NULL);
}

static inline int cvips_bandjoin_const1(VipsImage *in, VipsImage **out, double c) {
    return vips_bandjoin_const1(in, out, c, NULL);
}

static inline int cvips_bandjoin2(VipsImage *a, VipsImage *b, VipsImage **out) {
    return vips_bandjoin2(a, b, out, NULL);
}

/// out = in * a + b, band by band (n values each, or 1 for all bands).
static inline int cvips_linear(VipsImage *in, VipsImage **out, const double *a, const double *b, int n) {
    return vips_linear(in, out, a, b, n, NULL);
}

/// Places `in` in a width × height canvas at `direction`, filling the rest with `background`.
static inline int cvips_gravity(VipsImage *in, VipsImage **out, VipsCompassDirection direction, int width, int height,
                                const double *background, int n) {
    VipsArrayDouble *bg = vips_array_double_new(background, n);
    int result = vips_gravity(in, out, direction, width, height, "extend", VIPS_EXTEND_BACKGROUND, "background", bg, NULL);
    vips_area_unref(VIPS_AREA(bg));
    return result;
}

static inline int cvips_composite_over(VipsImage *base, VipsImage *overlay, VipsImage **out, int x, int y) {
    return vips_composite2(base, overlay, out, VIPS_BLEND_MODE_OVER, "x", x, "y", y, NULL);
}

/// `text` is Pango markup; `font` a Pango font description ("DejaVu Sans Bold 64"); `width` the
/// wrapping width in pixels (0: no wrapping). The result is a one-band uchar coverage mask.
static inline int cvips_text(VipsImage **out, const char *text, const char *font, int width, VipsAlign align, int dpi) {
    if (width > 0)
        return vips_text(out, text, "font", font, "width", width, "align", align, "dpi", dpi, NULL);
    return vips_text(out, text, "font", font, "align", align, "dpi", dpi, NULL);
}

static inline int cvips_jpegsave_buffer(VipsImage *in, void **buf, size_t *len, int quality) {
    return vips_jpegsave_buffer(in, buf, len, "Q", quality, "strip", TRUE, NULL);
}

static inline int cvips_pngsave_buffer(VipsImage *in, void **buf, size_t *len) {
    return vips_pngsave_buffer(in, buf, len, "strip", TRUE, NULL);
}

static inline int cvips_webpsave_buffer(VipsImage *in, void **buf, size_t *len, int quality) {
    return vips_webpsave_buffer(in, buf, len, "Q", quality, "strip", TRUE, NULL);
}

/// Drops the EXIF and XMP chunks from a WebP file: libvips 8.14's webpsave writes a small EXIF
/// block (resolution, pixel size) even with "strip". The result is a new g_malloc'ed buffer.
static inline int cvips_webp_without_metadata(const void *buf, size_t len, void **out, size_t *out_len) {
    WebPData input = { (const uint8_t *)buf, len };
    WebPMux *mux = WebPMuxCreate(&input, 0);
    if (!mux) { vips_error("webpmux", "%s", "cannot parse the encoded webp"); return -1; }
    WebPMuxDeleteChunk(mux, "EXIF");
    WebPMuxDeleteChunk(mux, "XMP ");
    WebPData assembled;
    WebPDataInit(&assembled);
    WebPMuxError status = WebPMuxAssemble(mux, &assembled);
    WebPMuxDelete(mux);
    if (status != WEBP_MUX_OK) { vips_error("webpmux", "cannot assemble the webp (error %d)", (int)status); return -1; }
    *out = g_memdup2(assembled.bytes, assembled.size);
    *out_len = assembled.size;
    WebPDataClear(&assembled);
    return 0;
}

/// AV1 at effort 3 (aom speed 6). On a 2048x2048 photo: effort 3 took 0.49 s for 8,483 bytes,
/// libvips' default effort 4 took 1.15 s for 7,490 bytes; ImageMagick (libheif's defaults) 0.58 s
/// for 8,538 bytes. A build tool re-derives often: the faster setting, as ImageMagick's.
static inline int cvips_avifsave_buffer(VipsImage *in, void **buf, size_t *len, int quality) {
    return vips_heifsave_buffer(in, buf, len, "Q", quality, "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1,
                                "effort", 3, "strip", TRUE, NULL);
}

/// Resolves a Pango font description to the font file fontconfig would give Pango for it.
/// Writes the matched family and file (g_free both) and returns 1 when the matched family is the
/// one asked for, 0 when fontconfig fell back to another family, -1 when nothing matched.
static inline int cvips_resolve_font(const char *description, char **family_out, char **file_out) {
    *family_out = NULL;
    *file_out = NULL;
    PangoFontDescription *desc = pango_font_description_from_string(description);
    const char *family = pango_font_description_get_family(desc);
    if (!family || !*family) { pango_font_description_free(desc); return -1; }
    FcPattern *pattern = FcPatternCreate();
    FcPatternAddString(pattern, FC_FAMILY, (const FcChar8 *)family);
    FcPatternAddInteger(pattern, FC_WEIGHT, FcWeightFromOpenType(pango_font_description_get_weight(desc)));
    PangoStyle style = pango_font_description_get_style(desc);
    FcPatternAddInteger(pattern, FC_SLANT, style == PANGO_STYLE_ITALIC ? FC_SLANT_ITALIC
                                           : style == PANGO_STYLE_OBLIQUE ? FC_SLANT_OBLIQUE : FC_SLANT_ROMAN);
    FcConfigSubstitute(NULL, pattern, FcMatchPattern);
    FcDefaultSubstitute(pattern);
    FcResult result;
    FcPattern *match = FcFontMatch(NULL, pattern, &result);
    int found = -1;
    if (match) {
        FcChar8 *file = NULL;
        FcChar8 *matched = NULL;
        found = 0;
        for (int i = 0; FcPatternGetString(match, FC_FAMILY, i, &matched) == FcResultMatch; i++) {
            if (g_ascii_strcasecmp((const char *)matched, family) == 0) { found = 1; break; }
        }
        if (FcPatternGetString(match, FC_FAMILY, 0, &matched) == FcResultMatch) *family_out = g_strdup((const char *)matched);
        if (FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch) *file_out = g_strdup((const char *)file);
        FcPatternDestroy(match);
    }
    FcPatternDestroy(pattern);
    pango_font_description_free(desc);
    return found;
}

/// The family named by a Pango font description (g_free it), or NULL.
static inline char *cvips_font_family(const char *description) {
    PangoFontDescription *desc = pango_font_description_from_string(description);
    char *family = g_strdup(pango_font_description_get_family(desc));
    pango_font_description_free(desc);
    return family;
}

/// Every installed font family name, each terminated by '\n' (g_free the result).
static inline char *cvips_font_families(void) {
    FcPattern *pattern = FcPatternCreate();
    FcObjectSet *set = FcObjectSetBuild(FC_FAMILY, (char *)0);
    FcFontSet *fonts = FcFontList(NULL, pattern, set);
    GString *out = g_string_new(NULL);
    for (int i = 0; fonts && i < fonts->nfont; i++) {
        FcChar8 *family = NULL;
        for (int j = 0; FcPatternGetString(fonts->fonts[i], FC_FAMILY, j, &family) == FcResultMatch; j++) {
            g_string_append(out, (const char *)family);
            g_string_append_c(out, '\n');
        }
    }
    if (fonts) FcFontSetDestroy(fonts);
    FcObjectSetDestroy(set);
    FcPatternDestroy(pattern);
    return g_string_free(out, FALSE);
}
