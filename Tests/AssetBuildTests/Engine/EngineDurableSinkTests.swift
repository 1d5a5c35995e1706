import Foundation
import Testing
@testable import AssetBuildCore

/// Where a request's images land in its target, and where a provider's warnings go.
@Suite struct EngineDurableSinkTests {
    /// Image `i` of an answer takes the `i`-th free place; one beyond them is numbered after the
    /// last, a place the target does not declare. That is why the Ark client never hands over
    /// images beyond `max_images` (ArkStreamingEdgeTests.images_beyond_max_images_are_not_kept).
    @Test func slots_fill_free_places_then_run_past_the_target() throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache(directory: dir.url, busyTimeout: .seconds(5), now: { Date() })
        let object = try #require(ObjectID(hex: String(repeating: "ab", count: 32)))
        let kept = [ActionImage(index: 0, object: object, width: 1, height: 1, byteCount: 1),
                    ActionImage(index: 2, object: object, width: 1, height: 1, byteCount: 1)]
        #expect(DurableSink.freeSlots(total: 4, kept: kept) == [1, 3])
        #expect(DurableSink.freeSlots(total: 4, kept: []) == [0, 1, 2, 3])
        let sink = DurableSink(cache: cache, actionKey: "k", target: "poses",
                               slots: DurableSink.freeSlots(total: 4, kept: kept), reporter: RecordingReporter())
        #expect((0..<4).map { sink.slot($0) } == [1, 3, 4, 5])
    }

    @Test func provider_warnings_reach_the_reporter_with_the_target() async throws {
        let dir = try CacheTemporaryDirectory()
        let cache = try BuildCache(directory: dir.url, busyTimeout: .seconds(5), now: { Date() })
        let reporter = RecordingReporter()
        let sink = DurableSink(cache: cache, actionKey: "k", target: "poses", slots: [0], reporter: reporter)
        await sink.warning("the service billed 4 image(s) but 3 arrived")
        guard case .warning(let message)? = reporter.events.first else {
            Issue.record("no warning event: \(reporter.events)")
            return
        }
        #expect(message == "poses: the service billed 4 image(s) but 3 arrived")
    }
}
