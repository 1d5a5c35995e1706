import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

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
    /// A rejected reply is saved in `rejectedDirectory` as `<target>.txt`.
    package static func validate(_ reply: String, spec: TextSpec, target: String, rejectedDirectory: String,
                         fileSystem: any FileSystem = LocalFileSystem()) throws -> String {
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
            let path = rejectedDirectory + "/\(target).txt"
            if (try? fileSystem.writeAtomically(Data(reply.utf8), to: path)) != nil { rejected.savedAt = path }
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

extension StorybookShape {
    /// Throws the reply's rejection when the story lacks the storybook shape.
    package static func check(_ object: Any, target: String, scenes bounds: ClosedRange<Int> = 5...10) throws {
        if let problem = problem(object, scenes: bounds) { throw TextReply.Rejected(target: target, problem: problem) }
    }
}
