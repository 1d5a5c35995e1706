import ArgumentParser
import AssetBuildCore
import Foundation

struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the manifest and its reference files against every documented limit. No network.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let workspace = try global.workspace()
        let manifest = workspace.manifest
        let problems = InputFiles(memo: [:]).check(manifest)
        if !problems.isEmpty {
            throw DiagnosticsError(problems, sources: [problems[0].location?.file ?? "": manifest.source])
        }
        // Text overlays' fonts, as plan and build check them (libvips' worker, or the facts it
        // gave last time while they hold).
        try await global.engine(workspace, reporter: FanOutReporter([])).checkDerivedTargets()
        global.printWarnings(manifest)
        let images = manifest.targets.reduce(0) { $0 + ($1.image?.images ?? 0) }
        let derived = manifest.targets.reduce(0) { $0 + ($1.derived?.images ?? 0) }
        let local = derived > 0 ? ", and \(derived) derived locally at no cost" : ""
        print("\(global.file): ok (\(manifest.targets.count) target(s), up to \(images) image(s) per full build\(local))")
    }
}

struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the dependency graph (Graphviz DOT, or Mermaid with --format mermaid).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case dot, mermaid }

    @OptionGroup var global: GlobalOptions

    @Option(help: "dot or mermaid.")
    var format: Format = .dot

    func run() throws {
        let workspace = try global.workspace()
        print(format == .dot ? GraphPrinter.dot(workspace.manifest) : GraphPrinter.mermaid(workspace.manifest), terminator: "")
    }
}

/// The graph's text forms: targets as boxes, input files and URLs as notes; reference edges
/// solid, `${target.field}` edges dotted, `deps:` dashed.
enum GraphPrinter {
    struct Edge: Hashable { var from: String; var to: String; var style: String }

    static func edges(_ m: Manifest) -> (inputs: [String], edges: [Edge]) {
        var inputs: [String] = []
        var edges: [Edge] = []
        for t in m.targets {
            if let s = t.image {
                for r in s.references {
                    switch r.value.source {
                    case .target(let name, _): edges.append(Edge(from: name, to: t.name, style: "reference"))
                    case .file, .url:
                        if !inputs.contains(r.value.spelling) { inputs.append(r.value.spelling) }
                        edges.append(Edge(from: r.value.spelling, to: t.name, style: "input"))
                    }
                }
                for f in s.prompt.fieldReferences { edges.append(Edge(from: f.value, to: t.name, style: "field")) }
            }
            if let s = t.text {
                for f in s.prompt.fieldReferences + (s.system?.fieldReferences ?? []) {
                    edges.append(Edge(from: f.value, to: t.name, style: "field"))
                }
            }
            if let story = t.image?.storybook?.story { edges.append(Edge(from: story, to: t.name, style: "field")) }
            if let b = t.book {
                edges.append(Edge(from: b.story, to: t.name, style: "reference"))
                edges.append(Edge(from: b.pictures, to: t.name, style: "reference"))
            }
            if let d = t.derived {
                edges.append(Edge(from: d.source.value.target, to: t.name, style: "reference"))
                for f in d.overlayFiles {
                    if !inputs.contains(f) { inputs.append(f) }
                    edges.append(Edge(from: f, to: t.name, style: "input"))
                }
                for f in d.fieldReferences { edges.append(Edge(from: f.value, to: t.name, style: "field")) }
            }
            for d in t.deps { edges.append(Edge(from: d.value, to: t.name, style: "order")) }
        }
        var seen = Set<Edge>()
        return (inputs, edges.filter { seen.insert($0).inserted })
    }

    static func describe(_ t: Target) -> String {
        switch t.kind {
        case .image(let s): return s.images > 1 ? "\(s.images) images" : "1 image"
        case .text: return "text"
        case .book: return "book"
        case .derived(let d):
            let what = "\(d.size.spoken) \(d.format.rawValue)"
            return d.images > 1 ? "\(d.images) × \(what)" : what
        }
    }

    static func dot(_ m: Manifest) -> String {
        func escape(_ s: String) -> String { s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") }
        func q(_ s: String) -> String { "\"" + escape(s) + "\"" }
        var out = "digraph assetbuild {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n"
        // `\n` in a label is DOT's line break: escape the parts, not the break between them.
        for t in m.targets { out += "  \(q(t.name)) [label=\"\(escape(t.name))\\n\(escape(describe(t)))\"];\n" }
        let (inputs, edges) = self.edges(m)
        for i in inputs { out += "  \(q(i)) [shape=note];\n" }
        for e in edges {
            let attr: String
            switch e.style {
            case "field": attr = " [style=dotted]"
            case "order": attr = " [style=dashed]"
            default: attr = ""
            }
            out += "  \(q(e.from)) -> \(q(e.to))\(attr);\n"
        }
        return out + "}\n"
    }

    static func mermaid(_ m: Manifest) -> String {
        var ids: [String: String] = [:]
        func id(_ s: String) -> String {
            if let v = ids[s] { return v }
            let v = "n\(ids.count)"
            ids[s] = v
            return v
        }
        func label(_ s: String) -> String { s.replacingOccurrences(of: "\"", with: "#quot;") }
        var out = "graph LR\n"
        for t in m.targets { out += "  \(id(t.name))[\"\(label(t.name)) (\(describe(t)))\"]\n" }
        let (inputs, edges) = self.edges(m)
        for i in inputs { out += "  \(id(i))>\"\(label(i))\"]\n" }
        for e in edges {
            let arrow = e.style == "order" ? "-.->" : e.style == "field" ? "-. field .->" : "-->"
            out += "  \(id(e.from)) \(arrow) \(id(e.to))\n"
        }
        return out
    }
}
