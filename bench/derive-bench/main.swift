// derive-bench: the Swift side of bench/derive.py.
//
//   derive-bench generate --out DIR [--count 100] [--size 2048]
//       writes DIR/photo-001.jpg … : deterministic photo-like JPEGs (gradient, shapes, noise)
//   derive-bench derive --out DIR --logo LOGO.png [--workers 2] SOURCE.jpg …
//       derives the issue's five channel variants of every source through ImageDeriver,
//       `workers` derivations at a time, and prints one line: "derived N files in S s";
//       --variants ig,og limits it to some variants (for profiling one of them);
//       --worker PATH sends them through VipsWorkerClient to that assetbuild-vips (started with
//       --jobs WORKERS, and --avif-jobs N if given) instead, and also prints "rss client_kb=… worker_kb=…" (peaks of both)
import AssetBuildDerive
import AssetBuildDeriveWorker
import AssetBuildImaging
import Foundation
#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("derive-bench: \(message)\n".utf8))
    exit(2)
}

/// `--name value` options and the remaining positional arguments.
func parse(_ arguments: ArraySlice<String>) -> (options: [String: String], rest: [String]) {
    var options: [String: String] = [:]
    var rest: [String] = []
    var i = arguments.startIndex
    while i < arguments.endIndex {
        let a = arguments[i]
        if a.hasPrefix("--") {
            guard i + 1 < arguments.endIndex else { fail("\(a) needs a value") }
            options[String(a.dropFirst(2))] = arguments[i + 1]
            i += 2
        } else {
            rest.append(a)
            i += 1
        }
    }
    return (options, rest)
}

/// A photo-like picture: a diagonal sky-to-ground gradient, a few soft discs and blocks whose
/// places depend on `seed`, and per-pixel noise (a small LCG, so every run writes the same bytes).
func photo(seed: Int, size: Int) -> RGBImage {
    var image = RGBImage(width: size, height: size)
    var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 | 1
    func next(_ bound: Int) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int(state >> 33) % bound
    }
    image.fillDiagonalGradient(image.bounds, start: RGBColor(hex: 0x3070C0), end: RGBColor(hex: 0xD8C090))
    for _ in 0..<6 {
        let color = RGBColor(UInt8(next(256)), UInt8(next(256)), UInt8(next(256)))
        image.blendCircle(centerX: next(size), centerY: next(size), radius: size / 16 + next(size / 6), color: color, alpha: 0.8)
    }
    for _ in 0..<4 {
        let color = RGBColor(UInt8(next(256)), UInt8(next(256)), UInt8(next(256)))
        image.blendRect(PixelRect(x: next(size), y: next(size), width: size / 10 + next(size / 5), height: size / 10 + next(size / 5)),
                        color: color, alpha: 0.7)
    }
    var pixels = image.pixels
    for i in pixels.indices {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let delta = Int(state >> 60) - 8  // -8…7: sensor-like grain, not static
        pixels[i] = UInt8(clamping: Int(pixels[i]) + delta)
    }
    return RGBImage(width: size, height: size, pixels: pixels)
}

func generate(_ options: [String: String]) throws {
    guard let out = options["out"] else { fail("generate needs --out DIR") }
    let count = Int(options["count"] ?? "100") ?? 100
    let size = Int(options["size"] ?? "2048") ?? 2048
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    for n in 1...count {
        let data = try JPEGCodec.encode(photo(seed: n, size: size), quality: 90)
        try data.write(to: URL(fileURLWithPath: "\(out)/photo-\(String(format: "%03d", n)).jpg"))
    }
    print("generated \(count) \(size)x\(size) JPEGs in \(out)")
}

/// The issue's five variants; the OG card carries the logo and a headline.
func variants(logo: Data, headline: String) -> [(suffix: String, spec: DeriveSpec)] {
    [
        ("ig.webp", DeriveSpec(size: .exact(width: 1080, height: 1080), crop: .attention, format: .webp, quality: 80)),
        ("story.jpeg", DeriveSpec(size: .exact(width: 1080, height: 1920), fit: .contain, format: .jpeg, quality: 85,
                                  background: DeriveColor(hex: "#0FB5AE"))),
        ("og.jpeg", DeriveSpec(size: .exact(width: 1200, height: 630), format: .jpeg, quality: 85, overlays: [
            .image(DeriveImageOverlay(bytes: logo, gravity: .southEast, margin: 32, width: 160)),
            .text(DeriveTextOverlay(text: headline, font: "DejaVu Sans Bold", size: 64, color: .white,
                                    gravity: .northWest, margin: 48, maxWidth: 900)),
        ])),
        ("thumb.png", DeriveSpec(size: .width(320), format: .png)),
        ("full.avif", DeriveSpec(size: .exact(width: 2048, height: 2048), format: .avif, quality: 50)),
    ]
}

/// Hands out job numbers, one at a time, to the workers.
actor JobCounter {
    private var next = 0
    func take() -> Int {
        defer { next += 1 }
        return next
    }
}

func derive(_ options: [String: String], sources: [String]) async throws {
    guard let out = options["out"], let logoPath = options["logo"] else { fail("derive needs --out DIR and --logo FILE") }
    let workers = max(1, Int(options["workers"] ?? "2") ?? 2)
    let logo = try Data(contentsOf: URL(fileURLWithPath: logoPath))
    let only = options["variants"].map { Set($0.split(separator: ",").map(String.init)) }
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
    var jobs: [(source: String, output: String, spec: DeriveSpec)] = []
    for source in sources {
        let stem = URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        for v in variants(logo: logo, headline: "A headline for \(stem) on the card")
        where only?.contains(String(v.suffix.prefix { $0 != "." })) ?? true {
            jobs.append((source, "\(out)/\(stem).\(v.suffix)", v.spec))
        }
    }
    // The worker: its client keeps 2 x workers requests on the pipe, so as many tasks feed it.
    let workerArguments = ["--jobs", String(workers)] + (options["avif-jobs"].map { ["--avif-jobs", $0] } ?? [])
    let client = options["worker"].map { VipsWorkerClient(executable: $0, arguments: workerArguments, maxInFlight: 2 * workers) }
    let toolchain: any DeriveToolchain = client ?? InProcessDeriveToolchain(concurrency: workers)
    let start = ContinuousClock.now
    let counter = JobCounter()
    let work = jobs
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<(client == nil ? workers : 2 * workers) {
            group.addTask {
                while true {
                    let i = await counter.take()
                    guard i < work.count else { return }
                    let job = work[i]
                    let source = try Data(contentsOf: URL(fileURLWithPath: job.source))
                    let made = try await toolchain.derive(source, spec: job.spec)
                    try made.data.write(to: URL(fileURLWithPath: job.output))
                }
            }
        }
        try await group.waitForAll()
    }
    let version = try await toolchain.version()
    await client?.shutdown()
    let seconds = (ContinuousClock.now - start) / .seconds(1)
    let how = client == nil ? "in process" : "through assetbuild-vips"
    print("derived \(jobs.count) files in \(String(format: "%.2f", seconds)) s with \(workers) workers \(how) (libvips \(version))")
    if client != nil {
        // The worker has been reaped: RUSAGE_CHILDREN holds its peak.
        var own = rusage(), children = rusage()
        getrusage(RUSAGE_SELF.rawValue, &own)
        getrusage(RUSAGE_CHILDREN.rawValue, &children)
        print("rss client_kb=\(own.ru_maxrss) worker_kb=\(children.ru_maxrss)")
    }
}

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { fail("usage: derive-bench generate|derive --out DIR …") }
let (options, rest) = parse(arguments.dropFirst(2))
do {
    switch arguments[1] {
    case "generate": try generate(options)
    case "derive": try await derive(options, sources: rest)
    default: fail("unknown command '\(arguments[1])'; use generate or derive")
    }
} catch {
    fail("\(error)")
}
