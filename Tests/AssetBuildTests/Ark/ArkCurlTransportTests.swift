@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

@Suite struct ArkCurlTransportTests {
    @Test func keep_alive_connection_is_reused() async throws {
        try await withArk { h in
            for _ in 0..<5 { _ = try await h.client.generate(request(format: .b64Json), into: RecordingSink()) }
            let ports = h.fake.generationRequests.compactMap(\.peerPort)
            #expect(ports.count == 5 && Set(ports).count == 1)
            let again = try await h.transport.send(TransportRequest(url: h.fake.baseURL + "/nothing"))
            #expect(again.status == 404 && again.newConnections == 0)
        }
    }

    @Test func parallel_requests_share_one_loop() async throws {
        // The fake holds every answer until all six requests have arrived: a transport that sent
        // them one after another (or waited to multiplex them on one connection) would never get
        // there, and the rendezvous gives up after a generous minute. No wall-clock bound, which
        // a loaded 2-core machine made flaky (arrivals seen 1.06–1.97 s apart, under load only).
        let all = Rendezvous(6)
        try await withArk({ $0.beforeAnswer = { _ in await all.arrive(timeout: .seconds(60)) } }) { h in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 {
                    group.addTask { _ = try await h.client.generate(request(format: .b64Json), into: RecordingSink()) }
                }
                for try await _ in group {}
            }
            #expect(await all.timedOut == false, "the six requests were not in flight together")
            let requests = h.fake.generationRequests
            #expect(requests.count == 6)
            #expect(Set(requests.compactMap(\.peerPort)).count == 6, "six connections, opened at once")
        }
    }

    @Test func stream_head_and_chunks_arrive_incrementally() async throws {
        // The fake holds its stream before image n + 1 until the reader has seen image n (or
        // 20 s pass): a transport that handed over the body only at its end would never see it.
        let seen = Locked(0)
        let early = Locked<[Int]>([])
        try await withArk({
            $0.imageLatency = .milliseconds(200)
            $0.beforeStreamedImage = { index in
                for _ in 0..<2000 {
                    if seen.value >= index { early.mutate { $0.append(index) }; return }
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
        }) { h in
            let body: ArkJSON = ["model": .string(Models.v45), "prompt": "3 images", "sequential_image_generation": "auto",
                                 "stream": true, "response_format": "b64_json"]
            let start = ContinuousClock.now
            let stream = try await h.transport.stream(TransportRequest(method: "POST", url: h.fake.baseURL + "/images/generations",
                headers: [("Authorization", "Bearer \(ArkHarness.key)")], body: body.encoded()))
            let headAt = ContinuousClock.now - start
            #expect(stream.status == 200)
            #expect(stream.headers["content-type"]?.hasPrefix("text/event-stream") == true)
            #expect(headAt >= .milliseconds(180))  // held until the first image
            var decoder = SSEDecoder()
            var arrivals: [Duration] = []
            for try await chunk in stream.body {
                for event in decoder.push(chunk) where event.event == "image_generation.partial_succeeded" {
                    arrivals.append(ContinuousClock.now - start)
                    seen.mutate { $0 += 1 }
                }
            }
            #expect(arrivals.count == 3)
            #expect(early.value == [1, 2], "each image's event reached the reader before the next was sent")
        }
    }

    @Test func shut_down_transport_refuses_work() async throws {
        let transport = CurlTransport()
        transport.shutdown()
        transport.shutdown()
        await #expect(throws: TransportError.self) {
            _ = try await transport.send(TransportRequest(url: "http://127.0.0.1:1/"))
        }
    }

    @Test func curl_version_mentions_libcurl() {
        #expect(CurlTransport.curlVersion.hasPrefix("libcurl/"))
    }
}
