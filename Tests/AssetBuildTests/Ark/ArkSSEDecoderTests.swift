@testable import AssetBuildCore
import Foundation
import Testing

@Suite struct ArkSSEDecoderTests {
    /// Decodes `stream` whole, split at every byte offset, byte by byte, and in 3-byte pieces,
    /// and checks each way gives the same events.
    func decodeEveryWay(_ stream: String) -> [SSEEvent] {
        let bytes = Array(stream.utf8)
        var whole = SSEDecoder()
        let expected = whole.push(bytes)
        for split in 0...bytes.count {
            var d = SSEDecoder()
            let got = d.push(bytes[..<split]) + d.push(bytes[split...])
            #expect(got == expected, "split at \(split)")
        }
        var single = SSEDecoder()
        #expect(bytes.flatMap { single.push([$0]) } == expected, "byte by byte")
        var triple = SSEDecoder()
        let pieces = stride(from: 0, to: bytes.count, by: 3).map { Array(bytes[$0..<min($0 + 3, bytes.count)]) }
        #expect(pieces.flatMap { triple.push($0) } == expected, "3-byte pieces")
        return expected
    }

    @Test func ark_stream_with_event_and_data_lines() {
        let stream = "event: image_generation.partial_succeeded\ndata: {\"image_index\":0}\n\n"
            + "event: image_generation.completed\ndata: {\"usage\":{}}\n\ndata: [DONE]\n\n"
        let events = decodeEveryWay(stream)
        #expect(events.map(\.event) == ["image_generation.partial_succeeded", "image_generation.completed", "message"])
        #expect(events.map(\.data) == ["{\"image_index\":0}", "{\"usage\":{}}", "[DONE]"])
    }

    @Test func all_three_line_endings_and_mixtures() {
        for le in ["\n", "\r\n", "\r"] {
            let events = decodeEveryWay("event: a\(le)data: 1\(le)\(le)data: 2\(le)\(le)")
            #expect(events.map(\.data) == ["1", "2"], "line ending \(le.debugDescription)")
            #expect(events.map(\.event) == ["a", "message"])
        }
        let mixed = decodeEveryWay("data: x\r\ndata: y\rdata: z\n\r\n")
        #expect(mixed.map(\.data) == ["x\ny\nz"])
    }

    @Test func cr_and_lf_split_across_chunks_is_one_line_end() {
        var d = SSEDecoder()
        var events = d.push(Array("data: a\r".utf8))
        events += d.push(Array("\ndata: b\r\n\r\n".utf8))
        #expect(events.map(\.data) == ["a\nb"])
    }

    @Test func multiline_data_is_joined_with_newlines() {
        let events = decodeEveryWay("data: {\"a\":\ndata: 1}\ndata:\n\n")
        #expect(events.map(\.data) == ["{\"a\":\n1}\n"])
    }

    @Test func comments_unknown_fields_and_colonless_lines() {
        let events = decodeEveryWay(": keepalive\n\n:another\nfoo: bar\nevent: e\ndata\n\nretry: 3x\nbogus\ndata:v\n\n")
        #expect(events.map(\.data) == ["", "v"])
        #expect(events.map(\.event) == ["e", "message"])
        #expect(events.allSatisfy { $0.retry == nil })
    }

    @Test func only_one_leading_space_is_removed() {
        let events = decodeEveryWay("data:  two\n\ndata:none\n\n")
        #expect(events.map(\.data) == [" two", "none"])
    }

    @Test func id_persists_and_retry_is_digits_only() {
        let events = decodeEveryWay("id: 7\ndata: a\n\ndata: b\n\nid: x\0y\nretry: 1500\ndata: c\n\nid\ndata: d\n\n")
        #expect(events.map(\.id) == ["7", "7", "7", ""])
        #expect(events.map(\.retry) == [nil, nil, 1500, 1500])
    }

    @Test func event_type_resets_after_dispatch_and_empty_events_are_dropped() {
        let events = decodeEveryWay("event: only\n\ndata: x\n\nevent: named\nevent: last\ndata: y\n\n")
        #expect(events.map(\.event) == ["message", "last"])
        #expect(events.map(\.data) == ["x", "y"])
    }

    @Test func byte_order_mark_is_skipped_at_start_only() {
        let events = decodeEveryWay("\u{FEFF}data: a\n\n\u{FEFF}data: b\n\n")
        #expect(events.map(\.data) == ["a"])
    }

    @Test func utf8_split_inside_a_character() {
        let events = decodeEveryWay("data: 图片1：一只狐狸\n\n")
        #expect(events.map(\.data) == ["图片1：一只狐狸"])
    }

    @Test func unterminated_event_is_not_dispatched_but_finish_shows_it() {
        var d = SSEDecoder()
        #expect(d.push(Array("data: [DONE]".utf8)).isEmpty)
        #expect(d.finish()?.data == "[DONE]")
        var e = SSEDecoder()
        #expect(e.push(Array("data: 1\n\n: only a comment".utf8)).count == 1)
        #expect(e.finish() == nil)
    }
}
