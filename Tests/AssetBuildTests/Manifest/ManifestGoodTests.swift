import Foundation
import Testing
@testable import AssetBuildCore

/// Every `Fixtures/manifests/good/<name>.yaml` loads, and what it loads to (targets after
/// defaults, merges, anchors and vars; warnings) matches `<name>.expected`.
@Suite struct ManifestGoodTests {
    static let cases = ManifestSnapshot.names(in: "good")

    @Test(arguments: cases)
    func good_manifest_loads_as_recorded(_ name: String) throws {
        let text = try ManifestSnapshot.text("good", name)
        let directory = ManifestSnapshot.fixtures.appendingPathComponent("good").path
        let (manifest, warnings) = ManifestSnapshot.load(text, directory: directory)
        guard let manifest else {
            Issue.record("'\(name)' failed to load:\n\(warnings)")
            return
        }
        let graph = try BuildGraph(manifest: manifest)
        var out = Self.dump(manifest)
        out += "order: " + graph.topologicalOrder.map { manifest.targets[$0].name }.joined(separator: ", ") + "\n"
        if !warnings.isEmpty { out += "\n" + warnings + "\n" }
        try ManifestSnapshot.assert(out, folder: "good", name: name)
    }

    /// Every example in the repository loads with no error.
    @Test func examples_load_without_errors() throws {
        let examples = Self.exampleManifests()
        #expect(!examples.isEmpty, "no examples/**/assetbuild.yaml found")
        for path in examples {
            do {
                let manifest = try ManifestLoader.load(path: path, displayName: path)
                _ = try BuildGraph(manifest: manifest)
            } catch {
                Issue.record("\(path):\n\(error.render(color: false))")
            }
        }
    }

    @Test func prompt_length_advice_is_a_warning_not_an_error() throws {
        let text = try ManifestSnapshot.text("good", "prompt-length-warnings")
        let manifest = try ManifestLoader.parse(text: text, file: "assetbuild.yaml", path: "/m/assetbuild.yaml", directory: "/m")
        #expect(manifest.warnings.map(\.severity) == [.warning, .warning])
        #expect(manifest.diagnosticsError(manifest.warnings).render(color: false).contains("warning: prompt has 330 Chinese characters"))
    }

    @Test func explicit_keys_win_over_merged_ones_and_the_first_merge_wins() throws {
        let text = try ManifestSnapshot.text("good", "merge-keys")
        let manifest = try ManifestLoader.parse(text: text, file: "assetbuild.yaml", path: "/m/assetbuild.yaml", directory: "/m")
        #expect(manifest["plain"]?.image?.size.value == "4K")
        #expect(manifest["plain"]?.image?.modelInfo.family == .seedream40)
        #expect(manifest["both"]?.image?.size.value == "2048x2048")
        #expect(manifest["both"]?.image?.options[OptionTable.optimizePrompt] == "fast")
        #expect(manifest["both"]?.image?.options[OptionTable.watermark] == false)
        #expect(manifest["copy"]?.image?.size.value == "1440x2560")
    }

    static func exampleManifests() -> [String] {
        let examples = ManifestSnapshot.root.appendingPathComponent("examples")
        guard let walker = FileManager.default.enumerator(atPath: examples.path) else { return [] }
        return walker.compactMap { $0 as? String }
            .filter { ($0 as NSString).lastPathComponent == "assetbuild.yaml" && !$0.contains("/build/") }
            .map { examples.appendingPathComponent($0).path }
            .sorted()
    }

    /// A derived target's spec, every field: source, sizing, encoding, overlays.
    static func dump(_ d: DerivedSpec) -> String {
        let src = d.source
        var out = " derived from \(src.value.target)" + (src.value.index.map { " image \($0)" } ?? "")
        out += " (as \(src.value.spelling.debugDescription) at \(src.location.line):\(src.location.column))"
        if let v = d.variant { out += ", variant \(v)" }
        out += ", \(d.images) image(s)\n"
        out += "  size \(d.size), fit \(d.fit.rawValue), crop \(d.crop.rawValue), \(d.format.rawValue)"
        if let q = d.quality { out += " quality \(q)" }
        if let b = d.background { out += ", background \(b)" }
        out += "\n"
        for o in d.overlays {
            switch o.value {
            case .image(let i):
                out += "  overlay (\(o.location.line):\(o.location.column)) image \(i.file) \(i.gravity.rawValue) margin \(i.margin)"
                out += (i.width.map { " width \($0)" } ?? "") + (i.height.map { " height \($0)" } ?? "") + " opacity \(i.opacity)\n"
            case .text(let t):
                out += "  overlay (\(o.location.line):\(o.location.column)) text \(t.text.display.debugDescription)"
                out += " font \(t.font.debugDescription) (\(t.fontLocation.line):\(t.fontLocation.column)) size \(t.size) \(t.color)"
                out += " \(t.gravity.rawValue) margin \(t.margin)" + (t.maxWidth.map { " max_width \($0)" } ?? "") + "\n"
            }
        }
        return out
    }

    /// A stable, readable account of what a manifest loaded to.
    static func dump(_ m: Manifest) -> String {
        var out = "provider: \(m.provider.name.rawValue) \(m.provider.baseURL) key from $\(m.provider.apiKeyEnv)"
        out += ", concurrency \(m.provider.concurrency)"
        if let b = m.provider.budget { out += ", budget \(b)" }
        if !m.provider.endpoints.isEmpty {
            out += ", endpoints " + m.provider.endpoints.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        out += "\n"
        for t in m.targets {
            out += "\(t.name) (\(t.location.line):\(t.location.column))"
            switch t.kind {
            case .book(let b):
                out += " book of \(b.story) and \(b.pictures)\n"
            case .derived(let d):
                out += Self.dump(d)
            case .image(let s):
                out += " image \(s.model.value)"
                if s.model.value != s.modelInfo.id { out += " -> \(s.modelInfo.id)" }
                out += "\n  prompt: \(s.prompt.display.debugDescription)\n"
                if !s.references.isEmpty {
                    out += "  references: " + s.references.map { r -> String in
                        switch r.value.source {
                        case .target(let n, let i): return "target \(n)" + (i.map { "[\($0)]" } ?? "")
                        case .file(let f): return "file \(f)"
                        case .url(let u, let pin): return "url \(u)" + (pin ? " (pinned)" : "")
                        }
                    }.joined(separator: ", ") + "\n"
                }
                out += "  size \(s.size.value), images \(s.images) (min \(s.minImages)), watermark \(s.options[OptionTable.watermark]!), stream \(s.options[OptionTable.stream]!), \(s.responseFormat.rawValue)"
                if let o = s.options[OptionTable.optimizePrompt] { out += ", optimize \(o)" }
                if let v = s.options[OptionTable.seed] { out += ", seed \(v)" }
                if let g = s.options[OptionTable.guidanceScale] { out += ", guidance \(g)" }
                out += "\n"
            case .text(let s):
                out += " text \(s.model.value)\n"
                if let sys = s.system { out += "  system: \(sys.display.debugDescription)\n" }
                out += "  prompt: \(s.prompt.display.debugDescription)\n"
                switch s.responseFormat {
                case .text: out += "  format text"
                case .jsonObject: out += "  format json_object"
                case .jsonSchema(let name, _, let strict): out += "  format json_schema \(name)\(strict ? " strict" : "")"
                }
                if let v = s.validation { out += ", validated as \(v)" }
                if let v = s.options[OptionTable.thinking] { out += ", thinking \(v)" }
                if let v = s.options[OptionTable.temperature] { out += ", temperature \(v)" }
                if let v = s.options[OptionTable.maxTokens] { out += ", max_tokens \(v)" }
                out += "\n"
            }
            let deps = t.dependencies.map(\.value)
            if !deps.isEmpty { out += "  needs: \(deps.joined(separator: ", "))\n" }
            out += "  writes: \(t.possibleOutputPaths.joined(separator: ", "))\n"
        }
        return out
    }
}
