import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// Everything the cache can fail with.
public enum CacheError: Error, Sendable {
    /// SQLite reported an error other than busy or corrupt.
    case sqlite(path: String, code: Int32, message: String, during: String)
    /// The database stayed locked past the busy timeout.
    case busy(path: String)
    /// The database file is not a database or is damaged. The cache does not delete it by itself:
    /// it is the only record of which paid images belong to which action, and
    /// `sqlite3 cache.db .recover` may still save it.
    case corruptDatabase(path: String)
    /// A system call on a cache file failed.
    case file(path: String, operation: String, errno: Int32)
    /// `read` of an object that is not in the store.
    case missingObject(ObjectID, path: String)
    /// `read` of an object whose bytes do not hash to its name (disk damage, or edited by hand).
    case corruptObject(ObjectID, path: String, actualSHA256: String)
    /// A record was asked for on an action key that `beginAction` never created.
    case unknownAction(key: String)
    /// Not a 64-character lowercase sha256 hex string.
    case invalidObjectID(String)
    /// `acquireBuildLock(wait: false)` found the lock taken.
    case lockHeld(LockHolder, directory: String)
}

extension CacheError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .sqlite(let path, let code, let message, let during):
            return "\(path): sqlite error \(code): \(message) (while running '\(Self.abbreviated(during))')"
        case .busy(let path):
            return "\(path): the database is locked; another assetbuild may be using this cache"
        case .corruptDatabase(let path):
            return "\(path): the cache index is corrupt or not a database; move it aside (mv '\(path)' '\(path).damaged'): "
                + "the next build rebuilds the index from assetbuild.lock and the objects, with no request for what the lock lists, "
                + "and 'sqlite3 \(path).damaged .recover' may save the rest (images of interrupted or failed builds)"
        case .file(let path, let operation, let code):
            return "\(path): \(operation) failed: \(String(cString: strerror(code)))"
        case .missingObject(let id, let path):
            return "\(path): object '\(id)' is not in the cache; run 'assetbuild cache verify' to see what else is missing"
        case .corruptObject(let id, let path, let actual):
            return "\(path): object '\(id)' is damaged: its bytes hash to '\(actual)'; delete that file and build again "
                + "(run 'assetbuild cache verify' to check the others)"
        case .unknownAction(let key):
            return "no action '\(key)' in the cache; beginAction must come first"
        case .invalidObjectID(let text):
            return "'\(text)' is not a sha256 object id"
        case .lockHeld(let holder, let directory):
            return "the build lock is held by \(holder) on \(directory)"
        }
    }

    private static func abbreviated(_ sql: String) -> String {
        let flat = sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return flat.count > 80 ? flat.prefix(77) + "..." : flat
    }

    /// The current `errno` as a cache error naming the path.
    package static func posix(_ path: String, _ operation: String) -> CacheError {
        .file(path: path, operation: operation, errno: errno)
    }
}
