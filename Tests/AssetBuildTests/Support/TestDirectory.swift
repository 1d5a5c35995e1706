import Foundation
@testable import AssetBuildCore

/// A fresh directory under the system temporary directory, removed when the value goes away.
/// Each test gets its own, so tests run in parallel without sharing a cache or a build directory.
final class TestDirectory: Sendable {
    let path: String

    init(_ label: String = "test") throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("assetbuild-\(label)-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `path/relative`.
    func url(_ relative: String) -> String { relative.isEmpty ? path : path + "/" + relative }

    func write(_ text: String, to relative: String) throws {
        try write(Data(text.utf8), to: relative)
    }

    func write(_ data: Data, to relative: String) throws {
        let full = url(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: full))
    }

    func read(_ relative: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: url(relative))) }

    func text(_ relative: String) throws -> String { String(decoding: try read(relative), as: UTF8.self) }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: url(relative)) }

    func remove(_ relative: String) throws { try FileManager.default.removeItem(atPath: url(relative)) }

    /// Replaces the first occurrence of `old` in a text file; fails loudly when it is not there.
    func edit(_ relative: String, replacing old: String, with new: String) throws {
        let text = try self.text(relative)
        guard let range = text.range(of: old) else { throw TestSupportError("'\(old)' not found in \(relative)") }
        try write(text.replacingCharacters(in: range, with: new), to: relative)
    }

    /// Every regular file below `relative`, as paths relative to it, sorted.
    func files(under relative: String = "") -> [String] {
        let base = url(relative)
        let all = FileManager.default.enumerator(atPath: base)?.allObjects as? [String] ?? []
        return all.filter { FileOps.stat(base + "/" + $0).map { !$0.isDirectory } ?? false }.sorted()
    }

    /// (size, mtime, inode) of every file below `relative` plus the named extra files: a snapshot
    /// that changes when anything is written (atomic writes change the inode).
    func stamps(under relative: String, plus extra: [String] = []) -> [String: String] {
        var out: [String: String] = [:]
        for f in files(under: relative).map({ relative.isEmpty ? $0 : relative + "/" + $0 }) + extra {
            if let st = FileOps.stat(url(f)) { out[f] = "\(st.size) \(st.mtimeNs) \(st.inode)" } else { out[f] = "absent" }
        }
        return out
    }

    func sha256(_ relative: String) throws -> String { SHA256.hash(try read(relative)).hex }
}

struct TestSupportError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// The package's root directory, found from this file's path.
enum PackageRoot {
    static let path: String = {
        var url = URL(fileURLWithPath: #filePath)
        // …/Tests/AssetBuildTests/Support/TestDirectory.swift → the package root.
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()
}

/// Copies a directory tree (files only; `build/` and `.assetbuild/` left behind).
func copyTree(from source: String, to destination: String) throws {
    let fm = FileManager.default
    try fm.createDirectory(atPath: destination, withIntermediateDirectories: true)
    for item in fm.enumerator(atPath: source)?.allObjects as? [String] ?? [] {
        if item == "build" || item.hasPrefix("build/") || item == ".assetbuild" || item.hasPrefix(".assetbuild/") { continue }
        let from = source + "/" + item, to = destination + "/" + item
        guard let st = FileOps.stat(from) else { continue }
        if st.isDirectory {
            try fm.createDirectory(atPath: to, withIntermediateDirectories: true)
        } else {
            try fm.copyItem(atPath: from, toPath: to)
        }
    }
}
