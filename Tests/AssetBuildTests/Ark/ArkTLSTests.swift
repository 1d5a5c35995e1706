@testable import AssetBuildCore
import Foundation
import Testing

/// HTTPS through libcurl: the certificate is verified against the CA bundle (the system's, or the
/// one `SSL_CERT_FILE` / `CURL_CA_BUNDLE` names). The server is Python's http.server behind TLS
/// with a certificate made for the test by openssl: both are on every machine of this kind.
@Suite struct ArkTLSTests {
    /// A one-file HTTPS server on 127.0.0.1 answering every GET with "hello over tls".
    final class TLSServer {
        let process = Process()
        let port: Int
        let certificate: String
        let dir: URL

        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("assetbuild-tls-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            certificate = dir.appendingPathComponent("cert.pem").path
            let key = dir.appendingPathComponent("key.pem").path
            let openssl = Process()
            openssl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            openssl.arguments = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate,
                                 "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
            openssl.standardError = FileHandle.nullDevice
            try openssl.run()
            for _ in 0..<1000 where openssl.isRunning { usleep(10_000) }
            let script = """
                import http.server, ssl, sys
                class H(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        body = b"hello over tls"
                        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
                        self.wfile.write(body)
                    def log_message(self, *a): pass
                s = http.server.HTTPServer(("127.0.0.1", 0), H)
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[1], sys.argv[2])
                s.socket = ctx.wrap_socket(s.socket, server_side=True)
                print(s.server_address[1], flush=True)
                s.serve_forever()
                """
            let out = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script, certificate, key]
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line = Data()
            while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
                line.append(byte)
            }
            port = Int(String(decoding: line, as: UTF8.self)) ?? 0
        }

        deinit {
            // SIGKILL: the child may inherit a mask that blocks SIGTERM. And no waitUntilExit: it
            // waits on a run loop that a test's thread never turns.
            kill(process.processIdentifier, SIGKILL)
            for _ in 0..<200 where process.isRunning { usleep(10_000) }
            try? FileManager.default.removeItem(at: dir)
        }
    }

    @Test func https_is_verified_against_the_ca_bundle_the_environment_names() async throws {
        let server = try TLSServer()
        #expect(server.port > 0)
        let request = TransportRequest(url: "https://127.0.0.1:\(server.port)/", connectTimeout: .seconds(5), stallTimeout: .seconds(10))

        // Trusting the test's own certificate (as SSL_CERT_FILE would make the CLI do): it works.
        let trusting = CurlTransport(configuration: CurlTransport.configuration(environment: ["SSL_CERT_FILE": server.certificate]))
        defer { trusting.shutdown() }
        let answer = try await trusting.send(request)
        #expect(answer.status == 200 && String(decoding: answer.body, as: UTF8.self) == "hello over tls")

        // The system bundle does not know a self-signed certificate: refused, never sent in clear.
        let system = CurlTransport(configuration: CurlTransport.configuration(environment: [:]))
        defer { system.shutdown() }
        do {
            _ = try await system.send(request)
            Issue.record("a self-signed certificate must not be trusted by the system bundle")
        } catch {
            #expect("\(error)".contains("curl error 60"), "\(error)")
        }
    }

    @Test func the_ca_bundle_comes_from_ssl_cert_file_or_curl_ca_bundle() {
        #expect(CurlTransport.configuration(environment: [:]).caBundlePath == nil)
        #expect(CurlTransport.configuration(environment: ["CURL_CA_BUNDLE": "/b.pem"]).caBundlePath == "/b.pem")
        #expect(CurlTransport.configuration(environment: ["SSL_CERT_FILE": "/a.pem", "CURL_CA_BUNDLE": "/b.pem"]).caBundlePath == "/a.pem")
        #expect(CurlTransport.configuration(environment: ["SSL_CERT_FILE": ""]).caBundlePath == nil)
    }
}
