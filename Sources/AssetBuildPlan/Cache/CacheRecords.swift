import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// Remembered digest of a file: while (path, size, mtime, inode) are unchanged the file is
/// assumed unchanged, so a no-op build reads no image bytes.
public struct FileDigestRecord: Sendable, Hashable {
    public var path: String
    public var size: Int64
    public var mtimeNs: Int64
    public var inode: UInt64
    /// Lowercase hex.
    public var sha256: String
    /// The image format the header showed (`jpeg`, `png`, …); nil when not probed.
    public var format: String?
    public var width: Int
    public var height: Int

    public init(path: String, size: Int64, mtimeNs: Int64, inode: UInt64, sha256: String,
                format: String? = nil, width: Int = 0, height: Int = 0) {
        self.path = path
        self.size = size
        self.mtimeNs = mtimeNs
        self.inode = inode
        self.sha256 = sha256
        self.format = format
        self.width = width
        self.height = height
    }
}

public enum ActionStatus: String, Sendable, Hashable, CaseIterable {
    /// Begun and not finished. Found at the start of a later build, it means that build was
    /// interrupted; the images it recorded are kept and need not be paid for again.
    case running
    /// Every requested output arrived.
    case complete
    /// Some outputs arrived, some failed (for example moderation inside a group).
    case partial
    /// Nothing usable arrived.
    case failed
}

/// What an action produces.
public enum ActionKind: String, Sendable, Hashable {
    /// Images from an image model, one `ActionImage` per index.
    case images
    /// Text from a chat model: one output at index 0 whose object holds the UTF-8 text (JSON for
    /// JSON targets), with width and height 0. See `BuildCache.recordText(actionKey:content:)`.
    case text
}

/// One output of an action.
public struct ActionImage: Sendable, Hashable {
    /// 0-based position in the group.
    public var index: Int
    public var object: ObjectID
    public var width: Int
    public var height: Int
    public var byteCount: Int

    public init(index: Int, object: ObjectID, width: Int, height: Int, byteCount: Int) {
        self.index = index
        self.object = object
        self.width = width
        self.height = height
        self.byteCount = byteCount
    }
}

/// An action's record: its key, what it was built from and what it produced so far.
public struct ActionRecord: Sendable, Hashable {
    public var key: String
    public var target: String
    /// Canonical JSON of the key's components, for field-by-field "option changed" diffs.
    public var componentsJSON: String
    public var kind: ActionKind
    public var status: ActionStatus
    /// Sorted by index.
    public var images: [ActionImage]
    /// Failures of the latest attempt, sorted by index.
    public var failures: [ImageFailure]
    /// Summed over every request recorded with usage; nil when none reported any.
    public var usage: Usage?
    /// Request ids in the order they were recorded.
    public var requestIDs: [String]
    /// The model the service reported last.
    public var model: String?
    public var createdAt: Date
    public var finishedAt: Date?

    /// The output of a text action.
    public var textObject: ObjectID? {
        kind == .text ? images.first(where: { $0.index == 0 })?.object : nil
    }
}

/// The last successful state of a target of one project.
public struct TargetStateRecord: Sendable, Hashable {
    public var target: String
    public var actionKey: String
    public var componentsJSON: String
    public var builtAt: Date
    /// The project (its manifest's canonical path, `Workspace.project`); `BuildCache.legacyProject`
    /// for a state recorded before projects were told apart.
    public var project: String

    public init(target: String, actionKey: String, componentsJSON: String, builtAt: Date,
                project: String = BuildCache.legacyProject) {
        self.target = target
        self.actionKey = actionKey
        self.componentsJSON = componentsJSON
        self.builtAt = builtAt
        self.project = project
    }
}

/// A file assetbuild wrote into a build directory, with the stat it had right after writing, so
/// a modified or deleted output is noticed without reading it.
public struct MaterializedRecord: Sendable, Hashable {
    /// Relative to the build root.
    public var path: String
    public var target: String
    public var object: ObjectID
    public var size: Int64
    public var mtimeNs: Int64
    public var inode: UInt64

    public init(path: String, target: String, object: ObjectID, size: Int64, mtimeNs: Int64, inode: UInt64) {
        self.path = path
        self.target = target
        self.object = object
        self.size = size
        self.mtimeNs = mtimeNs
        self.inode = inode
    }
}

/// `assetbuild cache stats`.
public struct CacheStats: Sendable, Hashable {
    public var objectCount: Int
    /// Sum of the object files' sizes.
    public var objectBytes: Int64
    public var actionsByStatus: [ActionStatus: Int]
    /// Rows in action_images (outputs of every action, text included).
    public var imageCount: Int
    public var targetStateCount: Int
    public var materializedCount: Int
    /// cache.db plus its WAL.
    public var databaseBytes: Int64
}

/// Something `BuildCache.verify()` found wrong.
public enum CacheProblem: Sendable, Hashable, CustomStringConvertible {
    /// The object's bytes do not hash to its name (tampered with, or disk damage).
    case corruptObject(ObjectID, actualSHA256: String)
    /// An action row names an object that is not on disk.
    case missingObject(ObjectID, actionKey: String)
    /// A materialized row names an object that is not on disk.
    case missingMaterializedObject(ObjectID, buildRoot: String, path: String)
    /// A file under objects/ whose name is not an object id.
    case strayFile(path: String)
    /// `cache.db` cannot be read (the message says what to do).
    case damagedIndex(String)
    /// The index records nothing while the object store holds objects: it was lost or truncated.
    case emptyIndex(objects: Int, listedInLock: Int)
    /// An object no row of the index names; `lockedBy` is the target (or pinned URL) of
    /// `assetbuild.lock` that lists it.
    case unindexedObject(ObjectID, lockedBy: String?)

    public var description: String {
        switch self {
        case .corruptObject(let id, let actual):
            "object '\(id)' is corrupt: its bytes hash to '\(actual)'"
        case .missingObject(let id, let key):
            "object '\(id)' of action '\(key)' is missing"
        case .missingMaterializedObject(let id, let root, let path):
            "object '\(id)' of materialized file '\(root)/\(path)' is missing"
        case .strayFile(let path):
            "unexpected file '\(path)' in the object store"
        case .damagedIndex(let message):
            "the index is damaged: \(message)"
        case .emptyIndex(let objects, let listed):
            "the index (cache.db) is empty, but the object store holds \(objects) object(s): the index was lost or truncated; "
                + "the next build re-indexes the \(listed) that assetbuild.lock lists, with no request"
        case .unindexedObject(let id, let lockedBy?):
            "object '\(id)' is in no index entry; assetbuild.lock lists it for '\(lockedBy)': the next build re-indexes it, with no request"
        case .unindexedObject(let id, nil):
            "object '\(id)' is in no index entry and assetbuild.lock does not list it (an interrupted build's image, "
                + "a replaced result, or another project's lost index); 'assetbuild cache gc' deletes it"
        }
    }
}

/// What `BuildCache.collectGarbage` did.
public struct GCReport: Sendable, Hashable {
    public var removedActions: Int
    public var removedObjects: Int
    public var removedBytes: Int64
    public var remainingObjects: Int
    public var remainingBytes: Int64
    /// True when `maxBytes` was asked for and protected objects alone exceed it.
    public var overBudget: Bool
}

extension CacheStats: CustomStringConvertible {
    public var description: String {
        let actions = ActionStatus.allCases.compactMap { s in actionsByStatus[s].map { "\($0) \(s.rawValue)" } }
        return """
        objects:      \(objectCount) (\(formatBytes(objectBytes)))
        actions:      \(actions.isEmpty ? "none" : actions.joined(separator: ", "))
        outputs:      \(imageCount) recorded, \(materializedCount) materialized
        targets:      \(targetStateCount) with a recorded state
        index:        \(formatBytes(databaseBytes))
        """
    }
}

extension GCReport: CustomStringConvertible {
    public var description: String {
        var s = "removed \(removedActions) action(s) and \(removedObjects) object(s) (\(formatBytes(removedBytes))); "
        s += "\(remainingObjects) object(s) remain (\(formatBytes(remainingBytes)))"
        if overBudget { s += "\nwarning: the objects still in use exceed the size asked for" }
        return s
    }
}
