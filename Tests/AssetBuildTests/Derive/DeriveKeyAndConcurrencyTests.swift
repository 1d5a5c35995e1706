import Foundation
import Testing
@testable import AssetBuildCore
@testable import AssetBuildDerive

/// The canonical description (the spec's part of the action key), the version, and determinism
/// across concurrent calls.
@Suite struct DeriveKeyAndConcurrencyTests {
    @Test func the_libvips_version_is_reported() {
        let parts = Vips.version.split(separator: ".")
        #expect(parts.count == 3 && parts.allSatisfy { Int($0) != nil }, "\(Vips.version)")
    }

    @Test func colours_parse_from_hex() {
        #expect(DeriveColor(hex: "#0FB5AE") == DeriveColor(0x0F, 0xB5, 0xAE))
        #expect(DeriveColor(hex: "#fff") == .white)
        #expect(DeriveColor(hex: "#ff000080") == DeriveColor(255, 0, 0, 128))
        #expect(DeriveColor(hex: "#ff000080")?.description == "#ff000080")
        for bad in ["0FB5AE", "#0FB5A", "#+12345", "#GGGGGG", "#"] { #expect(DeriveColor(hex: bad) == nil, "\(bad)") }
    }

    @Test func canonical_json_is_pinned() {
        let logo = Data("<svg/>".utf8)
        let spec = DeriveSpec(size: .exact(width: 1200, height: 630), format: .jpeg, overlays: [
            .image(DeriveImageOverlay(bytes: logo, gravity: .southEast, margin: 32, width: 160)),
            .text(DeriveTextOverlay(text: "Hello", font: "DejaVu Sans Bold", size: 64, gravity: .northWest, margin: 48,
                                    maxWidth: 900)),
        ])
        let sha = SHA256.hash(logo).hex
        #expect(spec.canonicalJSON == """
            {"background":"#ffffff","crop":"attention","fit":"cover","format":"jpeg","overlays":[\
            {"gravity":"south-east","height":null,"kind":"image","margin":32,"opacity":1,"sha256":"\(sha)","width":160},\
            {"color":"#ffffff","font":"DejaVu Sans Bold","gravity":"north-west","kind":"text","margin":48,"max_width":900,\
            "size":64,"text":"Hello"}],"pipeline":1,"quality":85,"size":"1200x630"}
            """.replacingOccurrences(of: "\"height\":null,", with: ""))
        #expect(DeriveSpec(size: .width(320), fit: .contain, crop: .entropy, format: .png, quality: 40).canonicalJSON
                == #"{"format":"png","overlays":[],"pipeline":1,"size":"320x"}"#)
    }

    @Test func what_does_not_change_the_output_does_not_change_the_key() {
        let base = DeriveSpec(size: .exact(width: 100, height: 100), format: .jpeg)
        var explicit = base
        explicit.quality = 85
        #expect(explicit.canonicalJSON == base.canonicalJSON)
        var contain = base
        contain.fit = .contain
        contain.crop = .entropy  // no crop in a contain fit
        var containOther = contain
        containOther.crop = .attention
        #expect(contain.canonicalJSON == containOther.canonicalJSON)
        var webp = base
        webp.format = .webp
        var webpBackground = webp
        webpBackground.background = DeriveColor(hex: "#123456")  // nothing shows it in a cover WebP
        #expect(webp.canonicalJSON == webpBackground.canonicalJSON)
    }

    @Test func every_option_and_overlay_file_changes_the_key() {
        let logo = DeriveImageOverlay(bytes: Data("<svg/>".utf8), gravity: .southEast)
        let base = DeriveSpec(size: .exact(width: 100, height: 100), format: .jpeg, overlays: [.image(logo)])
        var variants: [DeriveSpec] = []
        func vary(_ change: (inout DeriveSpec) -> Void) {
            var s = base
            change(&s)
            variants.append(s)
        }
        vary { $0.size = .exact(width: 100, height: 101) }
        vary { $0.size = .width(100) }
        vary { $0.fit = .fill }
        vary { $0.crop = .entropy }
        vary { $0.format = .png }
        vary { $0.quality = 84 }
        vary { $0.background = DeriveColor(hex: "#000000") }
        vary { $0.overlays = [] }
        vary { var o = logo; o.bytes = Data("<svg />".utf8); $0.overlays = [.image(o)] }
        vary { var o = logo; o.margin = 1; $0.overlays = [.image(o)] }
        vary { var o = logo; o.opacity = 0.9; $0.overlays = [.image(o)] }
        vary { var o = logo; o.gravity = .south; $0.overlays = [.image(o)] }
        vary { $0.overlays.append(.text(DeriveTextOverlay(text: "a", font: "DejaVu Sans", size: 10))) }
        let keys = Set(([base] + variants).map(\.canonicalJSON))
        #expect(keys.count == variants.count + 1)
    }

    @Test func concurrent_derivations_match_serial_ones_byte_for_byte() async throws {
        let sources = (0..<4).map { DeriveFixtures.photo(width: 300 + 40 * $0, height: 200 + 30 * $0) }
        let logo = DeriveFixtures.svgRect(width: 30, height: 12, fill: "#20a0ff")
        let specs = [
            DeriveSpec(size: .exact(width: 120, height: 120), crop: .attention, format: .webp, quality: 80),
            DeriveSpec(size: .exact(width: 90, height: 160), fit: .contain, format: .jpeg, background: DeriveColor(hex: "#0FB5AE")),
            DeriveSpec(size: .exact(width: 120, height: 63), format: .jpeg, overlays: [
                .image(DeriveImageOverlay(bytes: logo, gravity: .southEast, margin: 4, width: 24)),
                .text(DeriveTextOverlay(text: "Headline", font: "DejaVu Sans Bold", size: 12, gravity: .northWest, margin: 4)),
            ]),
            DeriveSpec(size: .width(64), format: .png),
            DeriveSpec(size: .exact(width: 96, height: 96), format: .avif),
        ]
        let jobs = sources.flatMap { s in specs.map { (s, $0) } }
        let serial = try jobs.map { try ImageDeriver.derive($0.0, spec: $0.1) }
        // Each job three times, all at once.
        let concurrent = try await withThrowingTaskGroup(of: (Int, Data).self) { group in
            for round in 0..<3 {
                for (i, job) in jobs.enumerated() {
                    group.addTask { (i + round * jobs.count, try ImageDeriver.derive(job.0, spec: job.1)) }
                }
            }
            var out: [Int: Data] = [:]
            for try await (i, data) in group { out[i] = data }
            return out
        }
        for (i, data) in concurrent.sorted(by: { $0.key < $1.key }) {
            #expect(data == serial[i % jobs.count], "job \(i % jobs.count) differs when run concurrently")
        }
        #expect(concurrent.count == 3 * jobs.count)
    }
}
