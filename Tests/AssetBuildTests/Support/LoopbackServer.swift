import Foundation
import Testing

/// A real server from the machine's packages (nginx with WebDAV, redis-server, moto's S3 server),
/// started by a test on 127.0.0.1 with its own folder and port, never as a system service.
/// `scripts/install-deps` installs them. The process is killed when the value goes away.
///
/// Readiness is an event, not a sleep: `start` returns once the port accepts a connection, and
/// fails with the server's own log when it exits first or does not listen within `readyTimeout`.
final class LoopbackServer: Sendable {
    let name: String
    let port: Int
    /// The server's working folder (its data, configuration and log).
    let directory: TestDirectory
    private let process: Process
    private let logPath: String

    /// `http://127.0.0.1:PORT` (also the base of the Bazel and S3 endpoints).
    var httpURL: String { "http://127.0.0.1:\(port)" }

    private init(name: String, port: Int, directory: TestDirectory, process: Process, logPath: String) {
        self.name = name
        self.port = port
        self.directory = directory
        self.process = process
        self.logPath = logPath
    }

    deinit { stop(signal: SIGKILL) }

    /// The server's log so far (stdout and stderr).
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    var isRunning: Bool { process.isRunning }

    /// Stops the server (SIGKILL by default: a crash, as far as its clients can tell) and waits
    /// until it is gone, so a test that kills a server knows its port is closed.
    func stop(signal: Int32 = SIGKILL) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    // MARK: - The servers

    /// nginx serving `root` over WebDAV (PUT, DELETE, GET, HEAD): the Bazel HTTP remote-cache
    /// protocol as nginx serves it (`/ac/…` and `/cas/…` are plain files under `directory/store`).
    /// One process (`master_process off`), so it runs as the test's user and owns its store.
    static func nginxWebDAV() async throws -> LoopbackServer {
        try await start(name: "nginx", executable: "/usr/sbin/nginx") { dir, port in
            let store = dir.url("store")
            try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
            try dir.write("""
                daemon off;
                master_process off;
                pid \(dir.url("nginx.pid"));
                error_log \(dir.url("error.log")) info;
                events { worker_connections 256; }
                http {
                  access_log \(dir.url("access.log"));
                  client_body_temp_path \(dir.url("body"));
                  proxy_temp_path \(dir.url("proxy"));
                  fastcgi_temp_path \(dir.url("fastcgi"));
                  uwsgi_temp_path \(dir.url("uwsgi"));
                  scgi_temp_path \(dir.url("scgi"));
                  client_max_body_size 0;
                  server {
                    listen 127.0.0.1:\(port);
                    root \(store);
                    dav_methods PUT DELETE;
                    create_full_put_path on;
                    dav_access user:rw group:r all:r;
                  }
                }
                """, to: "nginx.conf")
            return ["-c", dir.url("nginx.conf"), "-p", dir.path, "-e", dir.url("error.log")]
        }
    }

    /// redis-server with nothing persisted.
    static func redis() async throws -> LoopbackServer {
        try await start(name: "redis", executable: "/usr/bin/redis-server") { dir, port in
            ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", dir.path, "--protected-mode", "no"]
        }
    }

    /// moto's S3 server (PyPI `moto[server]`), in memory. Any access key and secret are accepted,
    /// and requests signed with AWS SigV4 are parsed as S3 would.
    static func s3() async throws -> LoopbackServer {
        try await start(name: "moto_server", executable: "/usr/bin/env", readyTimeout: .seconds(60)) { _, port in
            ["python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", "\(port)"]
        }
    }

    // MARK: - Starting

    /// Picks a free port, starts the server, and waits until the port accepts connections. A port
    /// taken between the pick and the server's bind (another test, another process) is retried.
    private static func start(name: String, executable: String, readyTimeout: Duration = .seconds(30),
                              arguments: (TestDirectory, Int) throws -> [String]) async throws -> LoopbackServer {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw TestSupportError("\(name) is not installed (\(executable)); run scripts/install-deps")
        }
        var lastLog = ""
        for _ in 0..<4 {
            let dir = try TestDirectory(name)
            let port = try freeLoopbackPort()
            let logPath = dir.url("server.log")
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = try arguments(dir, port)
            process.currentDirectoryURL = URL(fileURLWithPath: dir.path)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let server = LoopbackServer(name: name, port: port, directory: dir, process: process, logPath: logPath)
            if try await server.waitUntilListening(timeout: readyTimeout) { return server }
            lastLog = server.log + ((try? dir.text("error.log")) ?? "")
            server.stop()
        }
        throw TestSupportError("\(name) did not start on 127.0.0.1; its log:\n\(lastLog)")
    }

    /// True once the port accepts a connection; false when the process exited first.
    private func waitUntilListening(timeout: Duration) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var pause = Duration.milliseconds(5)
        while clock.now < deadline {
            if !process.isRunning { return false }
            if Self.accepts(port: port) { return true }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(200))
        }
        throw TestSupportError("\(name) did not listen on port \(port) within \(timeout); its log:\n\(log)")
    }

    /// A port the kernel just handed out on 127.0.0.1 (closed again before the server binds it).
    private static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
                bind(fd, p, length) == 0 && getsockname(fd, p, &length) == 0
            }
        }
        guard bound else { throw TestSupportError("could not bind a loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        a.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        return a
    }
}
