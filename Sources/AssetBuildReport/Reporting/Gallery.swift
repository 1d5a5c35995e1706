import Foundation
import AssetBuildSupport
import AssetBuildDeriveSpec
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders
import AssetBuildRun

/// `assetbuild gallery`: an HTML contact sheet of the build, to review a set at a glance: every
/// image with its target, size, model, expanded prompt, per-image failures, and the target's
/// status now (up to date, or stale and why).
public enum Gallery {
    public static func html(record: BuildRecord, plan: PlanReport?, manifest: Manifest) -> String {
        let statuses = Dictionary((plan?.targets ?? []).map { ($0.target, $0) }, uniquingKeysWith: { a, _ in a })
        var cards = ""
        for t in manifest.targets {
            guard let e = record.targets[t.name] else {
                cards += "<article class=\"card missing\"><h2>\(esc(t.name))</h2><p class=\"state\">not built yet</p></article>\n"
                continue
            }
            let state = statuses[t.name].map { p in
                p.status == .upToDate ? "up to date" : p.status.summary + (p.reasons.isEmpty ? "" : ": " + p.reasons.map(\.description).joined(separator: "; "))
            } ?? ""
            var figures = ""
            for o in e.outputs {
                if isPicture(o.path) {
                    let size = o.width.flatMap { w in o.height.map { "\(w)×\($0)" } } ?? ""
                    figures += "<figure><a href=\"\(esc(o.path))\"><img loading=\"lazy\" src=\"\(esc(o.path))\" alt=\"\(esc(t.name))\"></a>"
                        + "<figcaption>\(esc(o.path)) · \(size)</figcaption></figure>\n"
                } else {
                    figures += "<p class=\"file\"><a href=\"\(esc(o.path))\">\(esc(o.path))</a></p>\n"
                }
            }
            for f in e.failures {
                figures += "<figure class=\"failed\"><div>image \(f.image) failed<br>\(esc(f.code))</div><figcaption>\(esc(f.message))</figcaption></figure>\n"
            }
            let stale = statuses[t.name].map { $0.status != .upToDate } ?? false
            // A variant sits under its source's card, named by what it is for.
            let derived = t.derived.map { d in
                "<p class=\"derived\">\(d.variant != nil ? "variant of" : "derived from") \(esc(d.source.value.spelling))"
                    + " · \(esc(d.size.spoken)) \(esc(d.format.rawValue)) · made locally, no cost</p>"
            } ?? ""
            cards += """
            <article class="card\(stale ? " stale" : "")\(t.derived?.variant != nil ? " variant" : "")">
            <h2>\(esc(t.name))</h2>
            \(derived)
            <p class="meta">\(esc(e.kind)) · \(esc(e.model))\(e.size.map { " · size " + esc($0) } ?? "") · \(esc(e.provider)) · \(esc(e.generatedAt))</p>
            \(state.isEmpty ? "" : "<p class=\"state\">\(esc(state))</p>")
            <div class="images">\(figures)</div>
            \(e.prompt.isEmpty ? "" : "<details><summary>prompt</summary><p class=\"prompt\">\(esc(e.prompt))</p></details>")
            </article>

            """
        }
        return """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>assetbuild gallery: \(esc(record.manifest))</title>
        <style>
        body { font-family: system-ui, "DejaVu Sans", "WenQuanYi Micro Hei", sans-serif; margin: 24px; background: #f4f4f2; color: #222; }
        h1 { font-size: 22px; } .card { background: white; border-radius: 10px; padding: 16px; margin: 0 0 20px; box-shadow: 0 1px 4px rgba(0,0,0,.08); }
        .card.stale { border-left: 6px solid #e0a020; } .card.missing { opacity: .6; }
        h2 { margin: 0 0 4px; font-size: 18px; } .meta { color: #666; font-size: 13px; margin: 0 0 8px; }
        .state { font-size: 13px; color: #8a5a00; } .images { display: flex; flex-wrap: wrap; gap: 12px; }
        figure { margin: 0; width: 220px; } img { width: 220px; height: 220px; object-fit: contain; background: #eee; border-radius: 6px; }
        figcaption { font-size: 12px; color: #555; word-break: break-all; }
        .failed div { width: 220px; height: 220px; display: flex; align-items: center; justify-content: center; text-align: center;
                      border: 2px dashed #c33; color: #c33; border-radius: 6px; }
        .prompt { white-space: pre-wrap; font-size: 13px; }
        .card.variant { margin-left: 32px; } .derived { font-size: 13px; color: #2a6a8a; margin: 0 0 8px; }
        </style></head><body>
        <h1>\(esc(record.manifest)): \(record.targets.count) of \(manifest.targets.count) target(s) built</h1>
        \(cards)</body></html>

        """
    }

    package static func esc(_ s: String) -> String { BookAssembler.escape(s) }

    /// Outputs a browser shows as a picture: generated JPEGs and every derived format.
    static func isPicture(_ path: String) -> Bool {
        let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
        return ["jpeg", "jpg", "png", "webp", "avif"].contains(ext)
    }
}
