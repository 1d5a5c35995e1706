import ArgumentParser
import AssetBuildCore
import Foundation

struct Clean: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove the outputs assetbuild wrote into the build directory. The cache stays, so the next build restores them with no request.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let workspace = try global.workspace()
        let cache = try BuildCache.open(directory: workspace.cacheDirectory)
        let lock = try await takeBuildLock(cache, command: "assetbuild clean", untouched: "nothing was removed")
        defer { lock.release() }
        let records = try cache.materialized(buildRoot: workspace.buildRoot)
        let materializer = Materializer(cache: cache, buildRoot: workspace.buildRoot)
        let removed = materializer.removeStale(keeping: [], records: records) {
            FileHandle.standardError.write(Data("warning: \($0)\n".utf8))
        }
        try cache.removeMaterialized(paths: removed, buildRoot: workspace.buildRoot)
        let recordPath = workspace.paths.buildRecord
        if FileOps.exists(recordPath) { try FileOps.remove(recordPath) }
        // `assetbuild gallery` writes here by default; it is assetbuild's output too (a file of
        // the user's by the same name does not carry the gallery's title, and stays).
        let galleryPath = workspace.buildRoot + "/gallery.html"
        if let head = FileHandle(forReadingAtPath: galleryPath).flatMap({ try? $0.read(upToCount: 4096) }),
           String(decoding: head, as: UTF8.self).contains("<title>assetbuild gallery: ") {
            try FileOps.remove(galleryPath)
        }
        rmdir(workspace.buildRoot)
        print("removed \(removed.count) output file(s); the cache in \(workspace.cacheDirectory.path) is kept")
    }
}

/// Takes the cache's build lock for `clean` or `cache gc`, saying who holds it while it waits. The
/// wait polls (it blocks no thread), so Ctrl-C ends it at once: exit 1, saying `untouched` (what was
/// left alone); a second Ctrl-C quits outright.
func takeBuildLock(_ cache: BuildCache, command: String, untouched: String) async throws -> BuildLock {
    let directory = cache.directory
    do {
        return try await InterruptHandler.run(notice: nil) {
            let lock = try await cache.acquireBuildLock(command: command, wait: true, clock: SystemClock()) { holder in
                FileHandle.standardError.write(Data((holder.waitingMessage(cacheDirectory: directory) + "\n").utf8))
            }
            // Ctrl-C just as the lock came free: stop all the same.
            guard !Task.isCancelled else {
                lock.release()
                throw CancellationError()
            }
            return lock
        }
    } catch is CancellationError {
        FileHandle.standardError.write(Data("assetbuild: interrupted while waiting for the build lock; \(untouched)\n".utf8))
        throw ExitCode(1)
    }
}

struct Cache: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Inspect and maintain the cache.",
        subcommands: [Stats.self, GC.self, Verify.self, Push.self, Pull.self])

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Size and contents of the cache.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let workspace = try global.workspace()
            let cache = try BuildCache.open(directory: workspace.cacheDirectory)
            print("cache: \(workspace.cacheDirectory.path)")
            print(try cache.stats())
        }
    }

    struct GC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Delete cached images no current target uses (and, with options, old or excess ones).",
            discussion: "Objects referenced by files in the build directory are never deleted.")
        @OptionGroup var global: GlobalOptions

        @Option(help: "Also delete results of the current targets older than this many days.")
        var olderThanDays: Double?

        @Option(help: "Then delete the oldest objects until the cache is at most this size, e.g. 500M or 2G.")
        var maxSize: String?

        func validate() throws {
            if let maxSize, Self.parseSize(maxSize) == nil {
                throw ValidationError("--max-size must be a size such as 500M or 2G (K, M, G, T; at most 8E bytes), found '\(maxSize)'")
            }
            if let days = olderThanDays, !(0...1_000_000).contains(days) {
                throw ValidationError("--older-than-days must be a number of days from 0 to 1000000, found \(days)")
            }
        }

        func run() async throws {
            let workspace = try global.workspace()
            let cache = try BuildCache.open(directory: workspace.cacheDirectory)
            let lock = try await takeBuildLock(cache, command: "assetbuild cache gc", untouched: "nothing was deleted")
            defer { lock.release() }
            // This project's current targets; gc also keeps every other project's states.
            let keep = Set(try cache.targetStates(project: workspace.project).filter { workspace.manifest[$0.key] != nil }
                .map(\.value.actionKey))
            let bytes = maxSize.flatMap(Self.parseSize)  // checked in validate()
            let cutoff = olderThanDays.map { Date().addingTimeInterval(-$0 * 86_400) }
            print(try cache.collectGarbage(keepingActions: keep, olderThan: cutoff, maxBytes: bytes))
        }

        /// `500M`, `2G`, `1.5T`, `4096` (bytes): nil for anything else, negative, not finite, or
        /// beyond what an Int64 holds.
        static func parseSize(_ s: String) -> Int64? {
            let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40, "P": 0x1p50, "E": 0x1p60]
            var text = s.trimmingCharacters(in: .whitespaces).uppercased()
            if text.hasSuffix("B") { text.removeLast() }
            var multiplier = 1.0
            if let u = text.last, let m = units[u] {
                multiplier = m
                text.removeLast()
            }
            guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
                  let n = Double(text), n.isFinite, n >= 0 else { return nil }
            let bytes = (n * multiplier).rounded(.down)
            // 2^63 is the first Double beyond Int64.max.
            guard bytes < 0x1p63 else { return nil }
            return Int64(bytes)
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-hash every cached object and check the index; exit 1 on any problem.",
            discussion: "Also reports a damaged or empty index and objects no index entry names (a lost cache.db), with what to do.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let workspace = try global.workspace()
            let lock = LockFile.read(workspace.paths.lockFile)
            let problems = try BuildCache.verify(directory: workspace.cacheDirectory, lock: lock)
            for p in problems { print(p) }
            print(problems.isEmpty ? "cache ok" : "\(problems.count) problem(s)")
            if !problems.isEmpty { throw ExitCode(1) }
        }
    }
}

struct GalleryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gallery",
        abstract: "Write an HTML contact sheet of the build: images, prompts, sizes, and why a target is stale.",
        discussion: "Reads build/assetbuild.json; sends nothing. Open the file it prints in a browser.")

    @OptionGroup var global: GlobalOptions

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Where to write it (default: build/gallery.html).", valueName: "file"))
    var output: String?

    func run() async throws {
        let workspace = try global.workspace()
        let recordPath = workspace.paths.buildRecord
        guard let data = FileManager.default.contents(atPath: recordPath),
              let record = try? JSONDecoder().decode(BuildRecord.self, from: data) else {
            throw DiagnosticsError([.error("nothing built yet: \(recordPath) does not exist; run 'assetbuild build' first", at: nil)])
        }
        let plan = try? await global.engine(workspace, reporter: RecordingReporter()).plan()
        let path = output ?? workspace.buildRoot + "/gallery.html"
        var html = Gallery.html(record: record, plan: plan, manifest: workspace.manifest)
        if output != nil {
            // Elsewhere than build/: point the links at the build directory.
            let base = URL(fileURLWithPath: workspace.buildRoot).absoluteString
            html = html.replacingOccurrences(of: "src=\"", with: "src=\"\(base)/").replacingOccurrences(of: "href=\"", with: "href=\"\(base)/")
        }
        try FileOps.writeAtomically(Data(html.utf8), to: path, sync: false)
        print(path)
    }
}
