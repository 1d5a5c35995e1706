import Foundation
@testable import AssetBuildCore

/// A fresh directory under the system temporary directory, removed when the value goes away.
final class CacheTemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("assetbuild-cache-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    var path: String { url.path }

    /// Every file below `relative`, as paths relative to it.
    func files(under relative: String) -> [String] {
        let base = url.appendingPathComponent(relative).path
        return (FileManager.default.enumerator(atPath: base)?.allObjects as? [String] ?? [])
            .filter { !isDirectory(base + "/" + $0) }
            .sorted()
    }

    private func isDirectory(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }
}

/// Distinct fake image bytes.
func cacheImageBytes(_ seed: Int, size: Int = 64) -> Data {
    Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 7 &+ seed >> 8) }) + Data("image-\(seed)".utf8)
}

extension BuildCache {
    /// Puts `data` and records it as output `index` of `key`.
    @discardableResult
    func storeImage(_ data: Data, key: String, index: Int = 0, width: Int = 8, height: Int = 8) throws -> ActionImage {
        let id = try objects.put(data)
        let image = ActionImage(index: index, object: id, width: width, height: height, byteCount: data.count)
        try recordImage(actionKey: key, image: image)
        return image
    }
}
