@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

/// `CurlTransport` keeps each transfer's state behind its own `Mutex` and hands work to its loop
/// thread through another: many requests, streams and cancellations at once all end as they should.
@Suite struct ArkCurlConcurrencyTests {
    @Test func many_sends_and_streams_at_once_each_get_their_whole_body() async throws {
        try await withArk { h in
            let bodies = (0..<6).map { i in Data((0..<(300_000 + i * 7_919)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }) }
            let urls = bodies.enumerated().map { h.fake.serveStatic("blob-\($0.offset)", $0.element) }
            let transport = h.transport
            let got = try await withThrowingTaskGroup(of: (Int, Data).self) { group in
                for i in 0..<24 {
                    group.addTask {
                        let request = TransportRequest(url: urls[i % 6])
                        if i % 2 == 0 { return (i, try await transport.send(request).body) }
                        var data = Data()
                        for try await chunk in try await transport.stream(request).body { data.append(chunk) }
                        return (i, data)
                    }
                }
                return try await group.reduce(into: [Int: Data]()) { $0[$1.0] = $1.1 }
            }
            #expect(got.count == 24)
            for (i, data) in got { #expect(data == bodies[i % 6], "request \(i)") }
        }
    }

    @Test func cancelling_many_waiting_requests_ends_each_with_cancellation() async throws {
        try await withArk({ $0.downloadsHang = true }) { h in
            // A download of the fake's that never answers.
            let url = h.fake.serveStatic("x", nil).replacingOccurrences(of: "/static/x", with: "/files/held_0.jpeg")
            let transport = h.transport
            let outcomes = await withTaskGroup(of: String.self) { group in
                for i in 0..<16 {
                    group.addTask {
                        do {
                            let request = TransportRequest(url: url)
                            if i % 2 == 0 { _ = try await transport.send(request) } else { _ = try await transport.stream(request) }
                            return "answered"
                        } catch is CancellationError {
                            return "cancelled"
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                // Cancel once every request is in the loop's hands (the fake has them all).
                let deadline = ContinuousClock.now + .seconds(60)
                while h.fake.requests.count < 16, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
                group.cancelAll()
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(h.fake.requests.count == 16, "all sixteen were in flight when cancelled")
            #expect(outcomes == Array(repeating: "cancelled", count: 16))
            // The loop is still healthy after all that.
            let after = try await transport.send(TransportRequest(url: h.fake.baseURL + "/nothing"))
            #expect(after.status == 404)
        }
    }
}
