import ArgumentParser
import AssetBuildCore
import Foundation

struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say what a build would do and why: images, requests and estimated cost. Sends nothing.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var remote: RemoteOptions

    @Argument(help: "Targets to plan (default: every target).")
    var targets: [String] = []

    @Flag(help: "Print the plan as JSON.")
    var json = false

    func run() async throws {
        let workspace = try global.workspace()
        global.printWarnings(workspace.manifest)
        let remote = try global.remoteCache(workspace, disabled: remote.noRemote)
        let report = try await global.engine(workspace, reporter: RecordingReporter()).plan(targets: targets, remote: remote)
        PlanPrinter.printRemoteWarnings(report)
        if json {
            print(PlanPrinter.json(report, manifest: workspace.manifest))
        } else {
            let draft = ProviderFactory.choose(workspace.manifest.provider, override: global.provider) == .draft
            print(PlanPrinter.text(report, manifest: workspace.manifest, draft: draft), terminator: "")
        }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each target: up to date, stale (and why), or never built.",
        discussion: "With --check, exit 1 when anything is stale (for pull-request checks).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var remote: RemoteOptions

    @Flag(help: "Exit 1 when any target is stale.")
    var check = false

    @Flag(help: "Print the status as JSON.")
    var json = false

    func run() async throws {
        if !json, let names = try global.upToDateTargets() {
            // The last full build left everything as it is: no need to read the manifest.
            let width = min(32, names.map(\.count).max() ?? 0)
            for n in names { print(n.padding(toLength: max(width, n.count), withPad: " ", startingAt: 0) + "  up to date") }
            print("\nall \(names.count) target(s) up to date; nothing to do")
            return
        }
        let workspace = try global.workspace()
        let remote = try global.remoteCache(workspace, disabled: remote.noRemote)
        let report = try await global.engine(workspace, reporter: RecordingReporter()).plan(remote: remote)
        PlanPrinter.printRemoteWarnings(report)
        if json {
            print(PlanPrinter.json(report, manifest: workspace.manifest))
        } else {
            let draft = ProviderFactory.choose(workspace.manifest.provider, override: global.provider) == .draft
            print(PlanPrinter.text(report, manifest: workspace.manifest, draft: draft), terminator: "")
        }
        if check, report.targets.contains(where: { $0.status != .upToDate }) { throw ExitCode(1) }
    }
}

/// The text and JSON forms of a plan, shared by `plan` and `status`.
enum PlanPrinter {
    /// What asking the remote cache ran into (unreachable, refused), on standard error.
    static func printRemoteWarnings(_ report: PlanReport) {
        for w in report.remoteWarnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
    }

    /// Every target with its state and reason, then the requests, images and cost of what runs.
    static func text(_ report: PlanReport, manifest: Manifest, draft: Bool = false) -> String {
        var out = ""
        let width = min(32, report.targets.map(\.target.count).max() ?? 0)
        for p in report.targets {
            let name = p.target.padding(toLength: max(width, p.target.count), withPad: " ", startingAt: 0)
            var line = "\(name)  \(p.status.summary)"
            if !p.reasons.isEmpty { line += ": " + p.reasons.map(\.description).joined(separator: "; ") }
            if p.status == .run || p.status == .pending, p.imagesToGenerate > 0 {
                line += "  [" + (p.detail ?? "\(p.imagesToGenerate) image\(p.imagesToGenerate == 1 ? "" : "s")") + "]"
            } else if p.status == .run, p.requests == 0 {
                line += "  [made locally, $0]"
            }
            out += line + "\n"
        }
        let upToDate = report.targets.filter { $0.status == .upToDate }.count
        if upToDate == report.targets.count {
            out += "\nall \(report.targets.count) target(s) up to date; nothing to do\n"
            return out
        }
        let local = report.targets.filter { ($0.status == .run || $0.status == .pending) && $0.requests == 0 }.count
        out += "\n\(report.targets.count - upToDate) of \(report.targets.count) target(s) to build or restore: "
            + "\(report.requests) request(s), up to \(report.imagesToGenerate) image(s) to generate"
            + (local > 0 ? ", \(local) made locally at no cost" : "")
        let costs = report.costByModel
        if !costs.isEmpty, report.estimatedCost > 0 {
            out += String(format: ", estimated $%.2f", report.estimatedCost) + "\n"
            for c in costs {
                out += String(format: "  %@: %d image(s), $%.2f\n", c.model, c.images, c.cost)
            }
            let listed = costs.map(\.model).filter { manifest.provider.prices[$0] == nil }
            if draft {
                out += "  (drafts are free: this is what Ark would charge at these prices; set yours in provider.prices)\n"
            } else if !listed.isEmpty {
                out += "  (list prices for \(listed.joined(separator: ", ")): defaults; set yours in provider.prices)\n"
            }
        } else {
            out += "\n"
        }
        return out
    }

    static func json(_ report: PlanReport, manifest: Manifest) -> String {
        let targets: [[String: Any]] = report.targets.map { p in
            var o: [String: Any] = ["target": p.target, "status": p.status.rawValue,
                                    "reasons": p.reasons.map(\.description), "images": p.imagesToGenerate,
                                    "requests": p.requests, "estimated_cost": p.estimatedCost]
            if let m = p.model { o["model"] = m }
            if let d = p.detail { o["detail"] = d }
            if let k = p.fingerprint?.key { o["action_key"] = k }
            return o
        }
        let o: [String: Any] = ["targets": targets, "images": report.imagesToGenerate, "requests": report.requests,
                                "estimated_cost": report.estimatedCost,
                                "by_model": report.costByModel.map { ["model": $0.model, "images": $0.images, "cost": $0.cost] }]
        let data = (try? JSONSerialization.data(withJSONObject: o, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
