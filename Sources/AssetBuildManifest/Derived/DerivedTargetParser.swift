import Yams
import AssetBuildSupport
import AssetBuildDeriveSpec

/// Reads the derived images of a manifest: the `variants:` of an image target (each a target
/// named `<target>.<variant>`) and top-level targets with `from:`. Where their sources are and
/// how many images they make is settled once every target is known (`DerivedTargets.settle`).
package struct DerivedTargetParser {
    package var templates: TemplateParser

    package static let variantKeys = DeriveOptions.keys
    package static let derivedKeys = ["from"] + DeriveOptions.keys + ["overlays", "deps", "description"]

    /// Keys a top-level derived target cannot have, with what to do instead.
    package static let notForDerived: [String: String] = {
        var out: [String: String] = [:]
        for key in TargetOptions.allKeys where !derivedKeys.contains(key) {
            out[key] = "is for generated images; a target with 'from:' is made locally from another image"
        }
        out["variants"] = "cannot be set on a target with 'from:'; declare another target with 'from:' for each size"
        out["overlay"] = "is spelt 'overlays' (a list)"
        return out
    }()

    /// The `variants:` entry of a target's mapping, if it has one.
    package static func variantsEntry(of target: Node) -> (keyNode: Node, value: Node)? {
        guard case .mapping(let m) = target else { return nil }
        // By index: iterating a Yams mapping copies all its pairs into a new array first.
        return m.firstIndex { $0.key.scalar?.string == "variants" }.map { (m[$0].key, m[$0].value) }
    }

    /// The variant targets written at `variants` (the value of target `parent`'s `variants:`:
    /// `hero.og`), also those that fail to load: a reference to one of them is not "unknown".
    package static func declaredVariantNames(of parent: String, variants: Node) -> [String] {
        guard case .mapping(let m) = variants else { return [] }
        return m.compactMap { $0.key.scalar?.string }.map { "\(parent).\($0)" }
    }

    /// The variants of image target `parent`, written at `node` (the value of its `variants:`).
    package func variants(of parent: String, node: Node, tree: inout YAMLTree) -> [Target] {
        guard let entries = tree.entries(of: node, context: "'variants' of target '\(parent)'") else { return [] }
        var out: [Target] = []
        for e in entries {
            let location = tree.location(e.keyNode)
            guard ManifestLoader.isValidTargetName(e.key) else {
                let fixed = ManifestLoader.suggestedTargetName(e.key).map { "; did you mean '\($0)'?" } ?? ""
                tree.error("variant name '\(e.key)' must start with a lowercase letter or digit and use only a-z, 0-9, '_' and '-'\(fixed)",
                           at: e.keyNode)
                continue
            }
            let owner = "variant '\(e.key)' of '\(parent)'"
            guard let options = tree.entries(of: e.value, context: owner) else { continue }
            tree.checkKeys(options, known: Self.variantKeys, elsewhere: [
                "overlays": "cannot be set on a variant; declare a target with 'from: \(parent).\(e.key)' (or 'from: \(parent)') and 'overlays:'",
                "overlay": "cannot be set on a variant; declare a target with 'from: \(parent).\(e.key)' (or 'from: \(parent)') and 'overlays:'",
                "from": "cannot be set on a variant: it is made from '\(parent)'; declare a top-level target with 'from:' instead",
            ])
            let o = DeriveOptions.parse(options, owner: owner, location: location, templates: templates, tree: &tree)
            guard let size = o.size, o.isValid, options.allSatisfy({ Self.variantKeys.contains($0.key) }) else { continue }
            let source = Located(DeriveSource(target: parent, spelling: parent), at: location)
            out.append(Target(name: "\(parent).\(e.key)", location: location,
                              kind: .derived(o.spec(source: source, variant: e.key, size: size.value)), deps: [], output: o.output))
        }
        return out
    }

    /// A top-level target with `from:`, written at `node`.
    package func derivedTarget(name: String, location: SourceLocation, node: Node, tree: inout YAMLTree) -> Target? {
        let owner = "derived target '\(name)'"
        guard let entries = tree.entries(of: node, context: "target '\(name)'") else { return nil }
        tree.checkKeys(entries, known: Self.derivedKeys, elsewhere: Self.notForDerived)
        var valid = entries.allSatisfy { Self.derivedKeys.contains($0.key) }
        func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }

        var source: Located<DeriveSource>?
        if let n = value("from"), let text = tree.string(n, for: "from") {
            if let s = DeriveSource.parse(SizeSpec.trimmed(text)) {
                source = Located(s, at: tree.location(n))
            } else {
                tree.error("'from' names a target ('hero'), one image of a group ('poses[2]'), a variant ('hero.og') or one image of a group's variant ('poses[2].ig'), found '\(text)'",
                           at: n)
            }
        }
        let o = DeriveOptions.parse(entries, owner: owner, location: location, templates: templates, tree: &tree)
        var overlays: [Located<OverlayDeclaration>] = []
        if let n = value("overlays") {
            if let parsed = OverlayParser(templates: templates).parse(n, tree: &tree) { overlays = parsed } else { valid = false }
        }
        var deps: [Located<String>] = []
        if let n = value("deps") {
            deps = tree.stringList(n, for: "deps")?.map { Located($0.0, at: tree.location($0.1)) } ?? []
        }
        if let n = value("description") { _ = tree.string(n, for: "description") }
        guard let source, let size = o.size, o.isValid, valid else { return nil }
        return Target(name: name, location: location, kind: .derived(o.spec(source: source, variant: nil, size: size.value, overlays: overlays)),
                      deps: deps, output: o.output)
    }
}
