import AssetBuildSupport
import AssetBuildDeriveSpec

/// What a derived image (a variant, a channel asset) is keyed by: the source images' bytes, the
/// spec (every option that changes the output, defaults written out, overlay files as their
/// SHA-256 and text overlays as rendered), the fonts' bytes and the libvips version; never the
/// target's name or where its output goes. A derivation is local work: no provider, no model.
public struct DeriveKeyComponents: KeyComponents, Hashable {
    public var format: Int = 1
    public var kind = "derive"
    /// The libvips version that does the work: another version may give other bytes.
    public var vips: String
    /// `DeriveSpec.canonical`: pipeline version, size, fit, crop, format, quality, background, overlays.
    public var spec: DeriveSpecCanonical
    /// SHA-256 of each source image, in output order (one per image made).
    public var sources: [String]
    /// SHA-256 of the font file of each text overlay, in overlay order.
    public var fonts: [String]

    public init(vips: String, spec: DeriveSpecCanonical, sources: [String], fonts: [String]) {
        self.vips = vips
        self.spec = spec
        self.sources = sources
        self.fonts = fonts
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decode(String.self, forKey: .kind)
        guard kind == "derive" else {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "not a derived image's key")
        }
        format = try c.decode(Int.self, forKey: .format)
        vips = try c.decode(String.self, forKey: .vips)
        spec = try c.decode(DeriveSpecCanonical.self, forKey: .spec)
        sources = try c.decode([String].self, forKey: .sources)
        fonts = try c.decode([String].self, forKey: .fonts)
    }

    /// As `build/assetbuild.json` describes it: made locally by libvips, at the spec's size.
    public var summary: KeySummary {
        var s = KeySummary(kind: kind, provider: "local", model: "libvips-\(vips)", prompt: "")
        s.size = spec.size
        return s
    }

    /// Field by field, in the manifest's words.
    public func changes(since old: DeriveKeyComponents, oldLabels: [String], newLabels: [String]) -> [RebuildReason] {
        var reasons: [RebuildReason] = []
        func opt<T: CustomStringConvertible & Equatable>(_ name: String, _ a: T?, _ b: T?) {
            if a != b { reasons.append(.optionChanged(name: name, old: a?.description ?? "(none)", new: b?.description ?? "(none)")) }
        }
        opt("libvips", old.vips, vips)
        opt("size", old.spec.size, spec.size)
        opt("fit", old.spec.fit, spec.fit)
        opt("crop", old.spec.crop, spec.crop)
        opt("format", old.spec.format, spec.format)
        opt("quality", old.spec.quality, spec.quality)
        opt("background", old.spec.background, spec.background)
        opt("derive pipeline", old.spec.pipeline, spec.pipeline)
        if old.sources.count != sources.count {
            reasons.append(.referencesChanged(old: old.sources.count, new: sources.count))
        } else {
            for i in sources.indices where old.sources[i] != sources[i] { reasons.append(.sourceImageChanged(i + 1)) }
        }
        let a = old.spec.overlays, b = spec.overlays
        for i in 0..<max(a.count, b.count) where i >= a.count || i >= b.count || a[i] != b[i] {
            reasons.append(.overlayChanged(i + 1))
        }
        if old.fonts != fonts, reasons.allSatisfy({ if case .overlayChanged = $0 { false } else { true } }) {
            reasons.append(.fontChanged)
        }
        if reasons.isEmpty, old != self { reasons.append(.optionChanged(name: "key format", old: "\(old.format)", new: "\(format)")) }
        return reasons
    }
}
