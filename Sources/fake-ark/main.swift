import FakeArk
import Foundation

// fake-ark [--port N] [--latency-ms N] [--ipm N] [--key K] [--noisy]
// Starts the fake Ark server on 127.0.0.1, prints its base URL, and serves until killed.

let usage = "usage: fake-ark [--port N] [--latency-ms N] [--ipm N] [--key K] [--noisy]"
var behavior = FakeArkBehavior()
var port: UInt16 = 0
var args = Array(CommandLine.arguments.dropFirst())
while !args.isEmpty {
    let flag = args.removeFirst()
    if flag == "--noisy" {
        behavior.noisyImages = true
        continue
    }
    if flag == "-h" || flag == "--help" {
        print(usage)
        exit(0)
    }
    guard !args.isEmpty else {
        FileHandle.standardError.write(Data("fake-ark: '\(flag)' needs a value\n\(usage)\n".utf8))
        exit(2)
    }
    let value = args.removeFirst()
    switch flag {
    case "--port":
        guard let p = UInt16(value) else { FileHandle.standardError.write(Data("fake-ark: bad port '\(value)'\n".utf8)); exit(2) }
        port = p
    case "--latency-ms":
        guard let ms = Int(value), ms >= 0 else { FileHandle.standardError.write(Data("fake-ark: bad latency '\(value)'\n".utf8)); exit(2) }
        behavior.imageLatency = .milliseconds(ms)
    case "--ipm":
        guard let n = Int(value), n > 0 else { FileHandle.standardError.write(Data("fake-ark: bad ipm '\(value)'\n".utf8)); exit(2) }
        behavior.imagesPerMinute = n
    case "--key":
        behavior.apiKey = value
    default:
        FileHandle.standardError.write(Data("fake-ark: unknown option '\(flag)'\n\(usage)\n".utf8))
        exit(2)
    }
}

let server = try await FakeArkServer.start(behavior, port: port)
FileHandle.standardOutput.write(Data((server.baseURL + "\n").utf8))
while true {
    try await Task.sleep(for: .seconds(3600))
}
