import Foundation
import AssetBuildSupport
import AssetBuildImaging
import AssetBuildPlan

/// What `ac/<action key>` holds: an action's complete result, as JSON (docs/remote-cache.md).
/// Versioned: a reader takes the version it knows and refuses a newer one (by a newer
/// assetbuild) with a warning. Fields a later version adds (the takes and the picked take of the
/// review loop) go beside these and are ignored by this reader.
package struct RemoteActionRecord: Codable, Sendable, Equatable {
    package static let formatName = "assetbuild-action"
    package static let currentVersion = 1
    /// A record is a few hundred bytes per image; anything beyond this is not one.
    package static let maxBytes = 1 << 20
    /// An object larger than this is refused before it is fetched (above any image Ark sends).
    package static let maxObjectBytes = 64 << 20

    package struct Output: Codable, Sendable, Equatable {
        /// 0-based place in the group.
        package var index: Int
        package var sha256: String
        /// `jpeg`, `png`, … for an image (from its header); `text` for a text action's reply.
        package var format: String
        package var width: Int
        package var height: Int
        package var bytes: Int

        package init(index: Int, sha256: String, format: String, width: Int, height: Int, bytes: Int) {
            (self.index, self.sha256, self.format, self.width, self.height, self.bytes) = (index, sha256, format, width, height, bytes)
        }
    }

    package var format: String
    package var version: Int
    package var key: String
    /// `images` or `text` (`ActionKind`).
    package var kind: String
    /// Always `complete`: only a whole result is shared.
    package var status: String
    package var outputs: [Output]
    package var model: String?
    package var requestIDs: [String]
    package var createdAt: Date
    package var finishedAt: Date?

    enum CodingKeys: String, CodingKey {
        case format, version, key, kind, status, outputs, model
        case requestIDs = "request_ids", createdAt = "created_at", finishedAt = "finished_at"
    }

    /// The record of a complete local action; `formats` gives each output's format by index.
    package init(_ action: ActionRecord, formats: [Int: String]) {
        format = Self.formatName
        version = Self.currentVersion
        key = action.key
        kind = action.kind.rawValue
        status = ActionStatus.complete.rawValue
        outputs = action.images.map {
            Output(index: $0.index, sha256: $0.object.hex, format: formats[$0.index] ?? "text", width: $0.width, height: $0.height,
                   bytes: $0.byteCount)
        }
        model = action.model
        requestIDs = action.requestIDs
        createdAt = action.createdAt
        finishedAt = action.finishedAt
    }

    package func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    /// Decodes and checks a record fetched for `key`: its shape, its key, that it is complete,
    /// and that every output is described sanely. Throws `Refusal` saying what is wrong.
    package static func decode(_ data: Data, key: String) throws(Refusal) -> RemoteActionRecord {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let r: RemoteActionRecord
        do {
            r = try decoder.decode(RemoteActionRecord.self, from: data)
        } catch {
            throw Refusal("the action record is not valid JSON of assetbuild's format (\(Self.shortDescription(error)))")
        }
        guard r.format == formatName else { throw Refusal("the action record's format is '\(r.format)', not '\(formatName)'") }
        guard r.version <= currentVersion else {
            throw Refusal("the action record has format version \(r.version), newer than this assetbuild reads (\(currentVersion)); upgrade assetbuild")
        }
        guard r.version >= 1 else { throw Refusal("the action record has format version \(r.version)") }
        guard r.key == key else { throw Refusal("the action record is for key '\(r.key.prefix(16))…', not this key") }
        guard r.status == ActionStatus.complete.rawValue else { throw Refusal("the action record's status is '\(r.status)', not complete") }
        guard let kind = ActionKind(rawValue: r.kind) else { throw Refusal("the action record's kind '\(r.kind)' is unknown") }
        guard !r.outputs.isEmpty else { throw Refusal("the action record lists no outputs") }
        guard r.outputs.map(\.index) == Array(0..<r.outputs.count) else {
            throw Refusal("the action record's outputs are not numbered 0 to \(r.outputs.count - 1) in order")
        }
        for o in r.outputs {
            guard ObjectID(hex: o.sha256) != nil else { throw Refusal("output \(o.index + 1)'s sha256 '\(o.sha256.prefix(70))' is not 64 lowercase hex digits") }
            guard o.bytes > 0, o.bytes <= maxObjectBytes else { throw Refusal("output \(o.index + 1) has an impossible size of \(o.bytes) bytes") }
            switch kind {
            case .text:
                guard o.format == "text", r.outputs.count == 1 else { throw Refusal("a text action's record must list one output of format 'text'") }
            case .images:
                guard ImageFormat(rawValue: o.format) != nil, o.width > 0, o.height > 0 else {
                    throw Refusal("output \(o.index + 1) is described as \(o.format) \(o.width)x\(o.height), not an image")
                }
            }
        }
        return r
    }

    /// Checks an object's fetched bytes against what the record says of it: size, sha256, and for
    /// an image its own header (format and pixel size); for text, UTF-8.
    package func verify(_ data: Data, for output: Output) throws(Refusal) {
        let n = output.index + 1
        guard data.count == output.bytes else { throw Refusal("output \(n) is \(data.count) bytes, the record says \(output.bytes)") }
        let actual = SHA256.hash(data).hex
        guard actual == output.sha256 else {
            throw Refusal("output \(n)'s bytes hash to \(actual.prefix(12))…, not \(output.sha256.prefix(12))… as its name says (forged or damaged)")
        }
        if kind == ActionKind.text.rawValue {
            guard String(data: data, encoding: .utf8) != nil else { throw Refusal("output \(n) is not UTF-8 text") }
            return
        }
        let info: ImageInfo
        do { info = try ImageProbe.probe(data) } catch { throw Refusal("output \(n) is not a readable image: \(error)") }
        guard info.format.rawValue == output.format, info.width == output.width, info.height == output.height else {
            throw Refusal("output \(n) is a \(info.format.rawValue) of \(info.width)x\(info.height), the record says \(output.format) of \(output.width)x\(output.height)")
        }
    }

    package struct Refusal: Error, Sendable, CustomStringConvertible {
        package var message: String
        package init(_ message: String) { self.message = message }
        package var description: String { message }
    }

    private static func shortDescription(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "no '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "'\(c.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        case DecodingError.dataCorrupted(let c): return c.codingPath.isEmpty ? "not JSON" : "'\(c.codingPath.map(\.stringValue).joined(separator: "."))' is malformed"
        default: return "unreadable"
        }
    }
}
