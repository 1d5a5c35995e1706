import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

/// docs/events.md and the JSON Lines reporter describe the same events with the same fields.
@Suite("CLI events doc")
struct CLIEventsDocTests {
    /// event name → fields, from the doc's `### \`name\`` sections and their `| \`field\` |` rows;
    /// with `onlyOptional`, just the fields whose type says `optional` (sent only when known).
    static func documented(onlyOptional: Bool = false) throws -> [String: Set<String>] {
        let doc = try String(contentsOfFile: PackageRoot.path + "/docs/events.md", encoding: .utf8)
        var out: [String: Set<String>] = [:]
        var current: String?
        for line in doc.split(separator: "\n") {
            if line.hasPrefix("### `") {
                current = line.dropFirst(5).prefix { $0 != "`" }.description
                out[current!] = []
            } else if let c = current, line.hasPrefix("| `") {
                let type = line.split(separator: "|").dropFirst().first ?? ""
                if onlyOptional && !type.contains("optional") { continue }
                out[c]!.insert(line.dropFirst(3).prefix { $0 != "`" }.description)
            }
        }
        return out
    }

    /// event name → fields, from the reporter's source: each `o["event"] = "name"` case and the
    /// `o["field"]` keys it sets (`time` and `event` are common to all).
    static func emitted() throws -> [String: Set<String>] {
        let source = try String(contentsOfFile: PackageRoot.path + "/Sources/AssetBuildReport/Reporting/JSONLinesReporter.swift", encoding: .utf8)
        var out: [String: Set<String>] = [:]
        for block in source.components(separatedBy: "        case .").dropFirst() {
            let keys = block.matches(of: /o\["([a-z_]+)"\]/).map { String($0.1) }
            guard let name = block.firstMatch(of: /o\["event"\] = "([a-z_]+)"/)?.1 else { continue }
            out[String(name)] = Set(keys).subtracting(["event", "time"])
        }
        return out
    }

    @Test("every event and field in docs/events.md is emitted by JSONLinesReporter, and vice versa")
    func docMatchesReporter() throws {
        let documented = try Self.documented()
        let emitted = try Self.emitted()
        #expect(emitted.count == 14, "the reporter's source could not be read as expected: \(emitted)")
        #expect(Set(documented.keys) == Set(emitted.keys))
        for (event, fields) in emitted {
            #expect(documented[event] == fields, "\(event): documented \(documented[event] ?? []), emitted \(fields)")
        }
    }

    @Test("the reporter emits every documented event name for a real event of each kind")
    func reporterEmitsDocumentedNames() throws {
        let lines = LinesBox()
        let reporter = JSONLinesReporter { lines.append($0) }
        let failure = ImageFailure(index: 0, code: "OutputImageSensitiveContentDetected", message: "m")
        for e: BuildEvent in [
            .planned(targets: 1, toRun: 1, toRestore: 0, images: 1, estimatedCost: 0.04),
            .decided(target: "a", status: .run, reasons: [.neverBuilt]),
            .decided(target: "a", status: .run, reasons: [.neverBuilt], detail: "11 images (10 scenes + cover)"),
            .targetStarted(target: "a", images: 1, model: "m"),
            .imageReceived(target: "a", index: 0, width: 1, height: 1, bytes: 1),
            .imageFailed(target: "a", failure: failure),
            .retrying(target: "a", attempt: 2, maxAttempts: 3, delay: .seconds(1), reason: "429"),
            .targetRestored(target: "a", files: 1), .targetFinished(target: "a", images: 1, usage: nil),
            .targetFailed(target: "a", message: "x"), .targetSkipped(target: "b", because: "upstream 'a' failed"),
            .outputRemoved(path: "x.jpeg"), .warning("w"), .waitingForLock("l"), .finished(BuildSummary()),
        ] { reporter.report(e) }
        let documented = try Self.documented()
        let optional = try Self.documented(onlyOptional: true)
        var seen: Set<String> = []
        for line in lines.all {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let name = try #require(o["event"] as? String)
            seen.insert(name)
            let keys = Set(o.keys).subtracting(["event", "time"]), fields = documented[name] ?? []
            #expect(keys.isSubset(of: fields) && fields.subtracting(optional[name] ?? []).isSubset(of: keys),
                    "\(name): \(keys.sorted()) against \(fields.sorted())")
        }
        #expect(seen == Set(documented.keys))
    }
}

final class LinesBox: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ s: String) { lines.withLock { $0.append(contentsOf: s.split(separator: "\n").map(String.init)) } }
    var all: [String] { lines.withLock { $0 } }
}
