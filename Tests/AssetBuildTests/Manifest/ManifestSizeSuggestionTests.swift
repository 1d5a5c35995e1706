import FakeArk
import Foundation
import Testing
@testable import AssetBuildCore

/// A size the manifest rejects comes with a suggestion, and the suggestion itself passes every
/// rule of the model: pixel range, aspect ratio, sides multiples of 8.
@Suite struct ManifestSizeSuggestionTests {
    static let sizedModels = ModelCatalog.imageModels.filter { $0.pixelRange != nil }

    /// The size errors the loader reports for `size` on `model` (empty when it is accepted).
    static func sizeErrors(_ size: String, model: String) -> [String] {
        let text = """
        version: 1
        targets:
          t:
            model: \(model)
            prompt: "A picture"
            size: \(size)
        """
        do {
            _ = try ManifestLoader.parse(text: text, file: "assetbuild.yaml", path: "/m/assetbuild.yaml", directory: "/m")
            return []
        } catch {
            return error.diagnostics.map(\.message)
        }
    }

    /// The `try WxH` of a message.
    static func suggested(_ messages: [String]) -> String? {
        for m in messages {
            if let r = m.range(of: #"try [0-9]+x[0-9]+"#, options: .regularExpression) { return String(m[r].dropFirst(4)) }
        }
        return nil
    }

    @Test func the_audit_cases_get_valid_suggestions() {
        let cases: [(String, String, String)] = [
            ("7000x400", "doubao-seedream-4-5-251128", "7680x480"),
            ("20000x1000", "doubao-seedream-4-5-251128", "16384x1024"),
            ("3000x180", "doubao-seedream-4-0-250828", "3840x240"),
        ]
        for (size, model, expected) in cases {
            let errors = Self.sizeErrors(size, model: model)
            #expect(Self.suggested(errors) == expected, "\(size) on \(model): \(errors)")
            #expect(errors.contains { $0.contains("the aspect ratio is clamped to 16:1") }, "\(errors)")
            #expect(Self.sizeErrors(expected, model: model).isEmpty)
        }
        // Tall shapes clamp the other way.
        let tall = Self.sizeErrors("400x7000", model: "doubao-seedream-4-5-251128")
        #expect(Self.suggested(tall) == "480x7680" && tall.contains { $0.contains("clamped to 1:16") })
    }

    /// Property-style: sizes from tiny to huge, square to 1:40 and 40:1, on every model that takes
    /// `WxH`; each rejected one gets a suggestion that is accepted.
    @Test(arguments: sizedModels.map(\.id))
    func every_suggestion_is_itself_valid(_ modelID: String) {
        let model = ModelCatalog.model(id: modelID)!
        let range = model.pixelRange!
        let aspect = model.aspectRange ?? (1.0 / 16)...16
        var sides: [Int] = []
        var x = 7.0
        while x < 60_000 { sides.append(Int(x)); x *= 1.17 }
        var rejected = 0
        for w in sides {
            for h in sides {
                let ok = range.contains(w * h) && (model.aspectRange?.contains(Double(w) / Double(h)) ?? true)
                guard !ok else { continue }
                rejected += 1
                guard let s = SizeSpec.suggestion(w, h, for: model) else {
                    Issue.record("no suggestion for \(w)x\(h) on \(modelID)")
                    continue
                }
                let valid = range.contains(s.width * s.height) && aspect.contains(Double(s.width) / Double(s.height))
                    && s.width % 8 == 0 && s.height % 8 == 0
                #expect(valid, "\(w)x\(h) on \(modelID) suggests \(s.width)x\(s.height)")
                #expect(s.clamped == !aspect.contains(Double(w) / Double(h)))
            }
        }
        #expect(rejected > 500)
    }

    /// The suggestion in the printed message, fed back through the loader, loads.
    @Test func suggestions_in_messages_load() {
        var generator = SeededGenerator(seed: 0x5123)
        for model in Self.sizedModels {
            for _ in 0..<60 {
                let w = Int.random(in: 8...40_000, using: &generator), h = Int.random(in: 8...40_000, using: &generator)
                let errors = Self.sizeErrors("\(w)x\(h)", model: model.id)
                guard !errors.isEmpty else { continue }
                guard let s = Self.suggested(errors) else {
                    Issue.record("\(w)x\(h) on \(model.id): no suggestion in \(errors)")
                    continue
                }
                #expect(Self.sizeErrors(s, model: model.id).isEmpty, "\(w)x\(h) on \(model.id) → \(s)")
            }
        }
    }
}
