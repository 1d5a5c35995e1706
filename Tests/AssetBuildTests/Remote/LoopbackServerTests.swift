import Foundation
import Testing
@testable import AssetBuildCore

/// The servers the team-scale tests use start on loopback and speak their protocols: what a
/// failure elsewhere then means is the client, not the harness.
@Suite struct LoopbackServerTests {
    @Test func nginxStoresAndServesOverWebDAV() async throws {
        let nginx = try await LoopbackServer.nginxWebDAV()
        let http = CurlTransport()
        defer { http.shutdown() }
        let url = nginx.httpURL + "/cas/ab/blob"
        let put = try await http.send(TransportRequest(method: "PUT", url: url, body: Data("bytes".utf8)))
        #expect(put.status == 201, "PUT: \(put.status)\n\(nginx.log)")
        let get = try await http.send(TransportRequest(url: url))
        #expect(get.status == 200)
        #expect(get.body == Data("bytes".utf8))
        let missing = try await http.send(TransportRequest(method: "HEAD", url: nginx.httpURL + "/ac/none"))
        #expect(missing.status == 404)
    }

    @Test func redisAnswersAndStopsWhenKilled() async throws {
        let redis = try await LoopbackServer.redis()
        #expect(try RawTCP.exchange(port: redis.port, send: "PING\r\n", until: "\r\n") == "+PONG\r\n")
        redis.stop()
        #expect(!redis.isRunning)
        #expect(throws: (any Error).self) { try RawTCP.exchange(port: redis.port, send: "PING\r\n", until: "\r\n") }
    }

    @Test func motoServesS3() async throws {
        let s3 = try await LoopbackServer.s3()
        let http = CurlTransport()
        defer { http.shutdown() }
        let bucket = try await http.send(TransportRequest(method: "PUT", url: s3.httpURL + "/smoke"))
        #expect(bucket.status == 200, "create bucket: \(bucket.status) \(String(decoding: bucket.body, as: UTF8.self))")
        let put = try await http.send(TransportRequest(method: "PUT", url: s3.httpURL + "/smoke/k", body: Data("v".utf8)))
        #expect(put.status == 200)
        // Reading needs a signed request, as on AWS: an anonymous one is refused.
        let get = try await http.send(TransportRequest(url: s3.httpURL + "/smoke/k"))
        #expect(get.status == 403)
    }
}

/// One request and its reply over a plain TCP connection to 127.0.0.1 (for servers the project has
/// no client of its own for in a test).
enum RawTCP {
    static func exchange(port: Int, send text: String, until terminator: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed") }
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &a) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { throw TestSupportError("could not connect to 127.0.0.1:\(port)") }
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw TestSupportError("short write") }
        var reply = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: reply, as: UTF8.self).hasSuffix(terminator) {
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { throw TestSupportError("connection closed after \(reply.count) bytes") }
            reply += buffer[0..<n]
        }
        return String(decoding: reply, as: UTF8.self)
    }
}
