import Foundation

/// Checks a chat model's reply before it is cached: a code fence around JSON is tolerated, JSON
/// targets must parse, and named schemas (storybook) are enforced. A rejected reply is saved so
/// the user can see what the model said.
public enum TextReply {
    public struct Rejected: Error, Sendable, CustomStringConvertible {
        public var target: String
        public var problem: String
        public var savedAt: String?
        public var description: String {
            "\(target): the model's reply was rejected: \(problem)" + (savedAt.map { "; the raw reply is saved in \($0)" } ?? "")
        }
    }

    /// The reply to store: for JSON targets, the JSON text without any surrounding code fence.
    static func validate(_ reply: String, spec: TextSpec, target: String, cache: BuildCache) throws -> String {
        // An empty reply is no result, whatever the format (nothing is saved: there is nothing to see).
        guard !reply.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw Rejected(target: target, problem: "it is empty")
        }
        if case .text = spec.responseFormat { return reply }
        let json = stripCodeFence(reply)
        do {
            guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) else {
                throw Rejected(target: target, problem: "it is not valid JSON")
            }
            if spec.validation == "storybook" {
                try StorybookShape.check(object, target: target, scenes: spec.storyScenes ?? 5...10)
            }
            return json
        } catch var rejected as Rejected {
            let dir = cache.directory.appendingPathComponent("rejected").path
            let path = dir + "/\(target).txt"
            if (try? FileOps.writeAtomically(Data(reply.utf8), to: path)) != nil { rejected.savedAt = path }
            throw rejected
        }
    }

    /// The JSON inside a Markdown code fence (```json … ```), if the reply has one: at its start,
    /// or after a line of prose ("Here is your story:"), which chat models like to add. A reply
    /// that starts as JSON is taken as it is.
    public static func stripCodeFence(_ s: String) -> String {
        let trimmed = s.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") { return trimmed }
        guard let open = trimmed.range(of: "```") else { return trimmed }
        // The fence's info string (`json`) runs to the end of its line.
        guard let lineEnd = trimmed[open.upperBound...].firstIndex(of: "\n") else { return trimmed }
        var body = trimmed[trimmed.index(after: lineEnd)...]
        if body.hasPrefix("```") { return "" }
        if let close = body.range(of: "\n```") { body = body[..<close.lowerBound] }
        return body.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The storybook story's shape: a title, a summary of at most 30 characters, 5–10 scenes (or the
/// storybook's own bounds) and as many picture descriptions as scenes.
public enum StorybookShape {
    static func check(_ object: Any, target: String, scenes bounds: ClosedRange<Int> = 5...10) throws {
        func reject(_ p: String) -> TextReply.Rejected { TextReply.Rejected(target: target, problem: p) }
        guard let story = object as? [String: Any] else { throw reject("it is not a JSON object") }
        guard let title = story["title"] as? String, !title.isEmpty else { throw reject("'title' is missing or empty") }
        guard let summary = story["summary"] as? String, !summary.isEmpty else { throw reject("'summary' is missing or empty") }
        if summary.count > 30 { throw reject("'summary' has \(summary.count) characters; at most 30") }
        guard let scenes = story["scenes"] as? [String] else { throw reject("'scenes' is missing or not a list of strings") }
        guard let details = story["scenes_detail"] as? [String] else {
            throw reject("'scenes_detail' is missing or not a list of strings")
        }
        if !bounds.contains(scenes.count) {
            throw reject("\(scenes.count) scenes; this story needs \(bounds.lowerBound) to \(bounds.upperBound)")
        }
        if details.count != scenes.count {
            throw reject("\(scenes.count) scenes but \(details.count) picture descriptions; they must match one to one")
        }
    }
}
