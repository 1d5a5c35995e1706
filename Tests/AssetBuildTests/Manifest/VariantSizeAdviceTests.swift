import Foundation
import Testing
@testable import AssetBuildCore

/// A `size` below the model's minimum is an error that shows the way out: generate a size the
/// model takes and derive the small one as a variant, or use a model that takes it. Each part of
/// the advice is itself accepted by the loader.
@Suite struct VariantSizeAdviceTests {
    static func diagnostics(_ text: String) -> [Diagnostic] {
        do {
            _ = try ManifestLoader.parse(text: text, file: "assetbuild.yaml", path: "/m/assetbuild.yaml", directory: "/m")
            return []
        } catch {
            return error.diagnostics
        }
    }

    static func manifest(model: String, size: String, variants: String = "") -> String {
        """
        version: 1
        targets:
          post:
            model: \(model)
            prompt: "A launch post"
            size: \(size)
        \(variants.isEmpty ? "" : "    variants: \(variants)")
        """
    }

    /// The `size: WxH` and `variants: {…}` the note suggests.
    static func suggestion(_ notes: [String]) -> (size: String, variants: String)? {
        guard let note = notes.first(where: { $0.contains("variants:") }),
              let size = note.range(of: #"'size: [0-9]+x[0-9]+'"#, options: .regularExpression),
              let variants = note.range(of: #"\{small: \{size: [0-9]+x[0-9]+\}\}"#, options: .regularExpression) else { return nil }
        return (String(note[size].dropFirst(7).dropLast()), String(note[variants]))
    }

    @Test func the_issue_case_suggests_a_variant_and_the_models_that_take_it() throws {
        let found = Self.diagnostics(Self.manifest(model: "doubao-seedream-4-5-251128", size: "1080x1080"))
        let error = try #require(found.first)
        #expect(found.count == 1)
        #expect(error.message.hasPrefix("size '1080x1080' is 1,166,400 pixels; doubao-seedream-4-5-251128 takes 3,686,400"))
        #expect(error.notes == [
            "to get 1080x1080, generate a larger image and derive 1080x1080 from it locally, at no cost: 'size: 1920x1920' plus 'variants: {small: {size: 1080x1080}}' (written as <target>.small.jpeg)",
            "doubao-seedream-4-0-250828 and doubao-seedream-3-0-t2i-250415 generate 1080x1080 directly",
        ])
    }

    /// Channel sizes from the issue on every model with a pixel range: whenever the advice is
    /// given, the suggested manifest (the larger size plus the variant) loads, and so does the
    /// size on each model the advice names.
    @Test(arguments: ModelCatalog.imageModels.filter { $0.pixelRange != nil }.map(\.id))
    func every_suggestion_loads(_ model: String) throws {
        for size in ["1080x1080", "1080x1920", "1200x630", "1920x1080", "320x320", "640x360", "512x512"] {
            let found = Self.diagnostics(Self.manifest(model: model, size: size))
            guard let error = found.first(where: { $0.message.contains("pixels;") && $0.message.contains(" takes ") }),
                  let minimum = ModelCatalog.model(id: model)?.pixelRange?.lowerBound else { continue }
            let (w, h) = try #require(SizeSpec.parsePixels(size))
            guard w * h < minimum else {
                #expect(!error.notes.contains { $0.contains("variants:") }, "\(size) on \(model) is too large, not too small")
                continue
            }
            let (larger, variants) = try #require(Self.suggestion(error.notes), "\(size) on \(model): \(error.notes)")
            #expect(variants == "{small: {size: \(size)}}")
            let fixed = Self.manifest(model: model, size: larger, variants: variants)
            #expect(Self.diagnostics(fixed).isEmpty, "\(fixed)")
            let named = error.notes.last ?? ""
            for other in ModelCatalog.imageModels.map(\.id) where other != model && named.contains(other) {
                #expect(Self.diagnostics(Self.manifest(model: other, size: size)).isEmpty, "\(size) on \(other)")
            }
        }
    }

    @Test func a_size_no_model_generates_says_so() {
        #expect(VariantSizeAdvice.notes(width: 100, height: 100, model: ModelCatalog.model(id: "doubao-seedream-4-5-251128")!,
                                        larger: (1920, 1920)).last == "no image model generates 100x100 directly")
        #expect(VariantSizeAdvice.takers(width: 1080, height: 1080) == ["doubao-seedream-4-0-250828", "doubao-seedream-3-0-t2i-250415"])
    }

    /// Too many pixels is not fixed by a variant: no advice about one.
    @Test func a_size_above_the_maximum_gets_no_variant_advice() throws {
        let found = Self.diagnostics(Self.manifest(model: "doubao-seedream-3-0-t2i-250415", size: "3000x3000"))
        let error = try #require(found.first)
        #expect(error.notes.isEmpty)
    }
}
