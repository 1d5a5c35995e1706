import Foundation
import Synchronization
import Testing
@testable import AssetBuildCore

/// The types that guard their state with `Mutex<State>` (no lock boxes, no `@unchecked
/// Sendable`), driven from many tasks at once: every answer is whole and nothing is lost.
@Suite struct LockingTests {
    static let tasks = 16

    @Test func input_files_hash_each_file_once_under_concurrent_lookups() async throws {
        let dir = try TestDirectory("locking")
        for i in 0..<8 {
            let image = RGBImage(width: 20 + i, height: 20, color: RGBColor(UInt8(i * 30), 90, 200))
            try dir.write(try JPEGCodec.encode(image), to: "refs/\(i).jpg")
        }
        let files = InputFiles(memo: [:])
        let results = await withTaskGroup(of: [InputFile].self) { group in
            for t in 0..<Self.tasks {
                group.addTask { (0..<8).map { try! files.digest(dir.url("refs/\((t + $0) % 8).jpg")) } }
            }
            return await group.reduce(into: [InputFile]()) { $0 += $1 }
        }
        #expect(results.count == Self.tasks * 8)
        let byPath = Dictionary(grouping: results, by: \.path)
        #expect(byPath.count == 8)
        for (path, seen) in byPath {
            #expect(Set(seen).count == 1, "one answer per file: \(path)")
            #expect(seen[0].width == 20 + Int(FileOps.lastComponent(of: path).prefix(1))!)
        }
        #expect(files.newRecords.count == 8)
    }

    @Test func a_lazy_lock_file_is_read_once_and_the_same_for_every_task() async throws {
        let dir = try TestDirectory("locking")
        try dir.write("version: 1\ntargets:\n  a:\n    key: k1\n    outputs:\n      - path: a.png\n        sha256: ab\n", to: "assetbuild.lock")
        let lazy = LazyLockFile(path: dir.url("assetbuild.lock"))
        let keys = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<Self.tasks { group.addTask { lazy.lockFile.targets["a"]?.key } }
            return await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(keys == Array(repeating: "k1", count: Self.tasks))
        try dir.remove("assetbuild.lock")
        #expect(lazy.lockFile.targets["a"]?.key == "k1", "read once: the value stays after the file goes")
    }

    @Test func text_renderer_draws_the_same_from_many_tasks_as_from_one() async throws {
        let renderer = TextRenderer()
        func render(_ text: String) -> RGBImage {
            var image = RGBImage(width: 160, height: 40, color: .black)
            renderer.draw(text, into: &image, x: 2, y: 2, pixelHeight: 14 + text.count % 5, color: RGBColor(255, 255, 255))
            return image
        }
        let texts = (0..<Self.tasks).map { "Text \($0) 龙 déjà" }
        let serial = texts.map(render)
        let concurrent = await withTaskGroup(of: (Int, RGBImage).self) { group in
            for (i, text) in texts.enumerated() { group.addTask { (i, render(text)) } }
            return await group.reduce(into: [Int: RGBImage]()) { $0[$1.0] = $1.1 }
        }
        #expect((0..<Self.tasks).map { concurrent[$0] } == serial)
    }

    @Test func a_durable_sink_keeps_every_image_sent_at_once() async throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache.open(directory: dir.url, clock: ManualClock())
        try cache.beginAction(key: "k", target: "poses", componentsJSON: "{}")
        let count = 12
        let sink = DurableSink(cache: cache, actionKey: "k", target: "poses", slots: Array(0..<count), reporter: RecordingReporter())
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<count {
                group.addTask {
                    let data = try JPEGCodec.encode(RGBImage(width: 16, height: 16, color: RGBColor(UInt8(i * 20), 1, 2)))
                    if i % 3 == 2 {
                        await sink.imageFailed(ImageFailure(index: i, code: "OutputImageSensitiveContentDetected", message: "no"))
                    } else {
                        try await sink.imageReceived(ReceivedImage(index: i, data: data))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(sink.received.map(\.index).sorted() == (0..<count).filter { $0 % 3 != 2 })
        #expect(sink.failures.map(\.index).sorted() == (0..<count).filter { $0 % 3 == 2 })
        let record = try #require(try cache.actions(forKeys: ["k"])["k"])
        #expect(record.images.map(\.index).sorted() == (0..<count).filter { $0 % 3 != 2 })
    }

    @Test func the_manual_clock_date_moves_with_its_time() {
        let clock = ManualClock(epoch: Date(timeIntervalSince1970: 1_000))
        #expect(clock.wallNow() == Date(timeIntervalSince1970: 1_000))
        clock.advance(by: .milliseconds(1500))
        #expect(clock.wallNow() == Date(timeIntervalSince1970: 1_001.5))
        clock.setEpoch(Date(timeIntervalSince1970: 50))
        #expect(clock.wallNow() == Date(timeIntervalSince1970: 51.5))
    }

    @Test func the_cache_dates_records_and_the_lock_holder_with_its_clock() throws {
        let dir = try CacheTemporaryDirectory()
        let clock = ManualClock(epoch: Date(timeIntervalSince1970: 1_704_067_200))
        let cache = try BuildCache.open(directory: dir.url, clock: clock)
        try cache.beginAction(key: "k", target: "t", componentsJSON: "{}")
        #expect(try cache.actions(forKeys: ["k"])["k"]?.createdAt == Date(timeIntervalSince1970: 1_704_067_200))
        clock.advance(by: .seconds(60))
        let id = try cache.objects.put(cacheImageBytes(1))
        try cache.recordPin(PinRecord(url: "https://example.com/a.png", object: id, format: .jpeg, width: 1, height: 1, byteCount: 1))
        #expect(try cache.pins()["https://example.com/a.png"]?.fetchedAt == Date(timeIntervalSince1970: 1_704_067_260))
        let lock = try cache.acquireBuildLock(command: "assetbuild build")
        defer { lock.release() }
        let holder = try String(contentsOfFile: dir.url.path + "/lock", encoding: .utf8)
        #expect(holder.contains("\"started_at\":1704067260"), "\(holder)")
    }
}
