import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// The bytes a `pin: true` URL had when it was downloaded: kept in the object store, so the URL's
/// target is keyed by those bytes (not the URL's text) and later builds download nothing.
public struct PinRecord: Sendable, Hashable {
    public var url: String
    public var object: ObjectID
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    public var byteCount: Int
    /// When it was downloaded; nil until `recordPin` stamps it with the cache's clock.
    public var fetchedAt: Date?

    public init(url: String, object: ObjectID, format: ImageFormat, width: Int, height: Int, byteCount: Int,
                fetchedAt: Date? = nil) {
        self.url = url
        self.object = object
        self.format = format
        self.width = width
        self.height = height
        self.byteCount = byteCount
        self.fetchedAt = fetchedAt
    }
}

extension BuildCache {
    /// Every pinned URL, by URL.
    public func pins() throws -> [String: PinRecord] {
        try withDatabase { db in
            var out: [String: PinRecord] = [:]
            try db.query("SELECT url, object, format, width, height, byte_count, fetched_at FROM url_pins") { row in
                guard let id = ObjectID(hex: row.text(1)), let format = ImageFormat(rawValue: row.text(2)) else { return }
                let url = row.text(0)
                out[url] = PinRecord(url: url, object: id, format: format, width: Int(row.int64(3)), height: Int(row.int64(4)),
                                     byteCount: Int(row.int64(5)), fetchedAt: Date(timeIntervalSince1970: row.double(6)))
            }
            return out
        }
    }

    /// Records (or replaces) a pin; its object must already be in the store.
    public func recordPin(_ pin: PinRecord) throws {
        try write { db in
            try db.run("""
                INSERT OR REPLACE INTO url_pins (url, object, format, width, height, byte_count, fetched_at)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                """,
                       [.text(pin.url), .text(pin.object.hex), .text(pin.format.rawValue), .int(Int64(pin.width)),
                        .int(Int64(pin.height)), .int(Int64(pin.byteCount)), .double((pin.fetchedAt ?? now()).timeIntervalSince1970)])
        }
    }
}
