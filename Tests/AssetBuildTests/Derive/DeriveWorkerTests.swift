import Foundation
import Testing
@testable import AssetBuildCore
@testable import AssetBuildDerive
@testable import AssetBuildDeriveWorker

/// The `assetbuild-vips` worker through `VipsWorkerClient`, against libvips in this process.
@Suite(.timeLimit(.minutes(2))) struct DeriveWorkerTests {
    @Test func version_is_the_workers_libvips() async throws {
        // The public initializer: the worker is found beside this executable, like assetbuild's.
        let client = VipsWorkerClient()
        #expect(client.workerPID == nil, "no worker before the first request")
        #expect(try await client.version() == Vips.version)
        #expect(client.workerPID != nil)
        await client.shutdown()
    }

    @Test func a_derivation_gives_the_same_bytes_as_in_process() async throws {
        let client = VipsWorkerClient(executable: try WorkerFixtures.binary())
        let source = DeriveFixtures.photo(width: 400, height: 300)
        let specs = [
            WorkerFixtures.richSpec,
            DeriveSpec(size: .exact(width: 200, height: 300), fit: .contain, format: .png, background: DeriveColor(hex: "#0FB5AE80")),
            DeriveSpec(size: .width(120), format: .webp, quality: 60),
            DeriveSpec(size: .height(90), format: .avif),
            DeriveSpec(size: .exact(width: 150, height: 150), crop: .attention, format: .jpeg),
        ]
        for spec in specs {
            let viaWorker = try await client.derive(source, spec: spec)
            let inProcess = try ImageDeriver.make(source, spec: spec)
            #expect(viaWorker == inProcess, "\(spec.canonicalJSON)")
            // The size reported is the file's own.
            let info = try DerivedImageReader.info(viaWorker.data)
            #expect(viaWorker.width == info.width && viaWorker.height == info.height, "\(spec.canonicalJSON)")
        }
        #expect(await client.stop() == .exited(0))
    }

    @Test func errors_come_back_typed() async throws {
        let client = VipsWorkerClient(executable: try WorkerFixtures.binary())
        let spec = DeriveSpec(size: .exact(width: 32, height: 32), format: .png)
        await #expect(throws: DeriveError.sourceNotAnImage("the data is empty")) { try await client.derive(Data(), spec: spec) }
        do {
            _ = try await client.derive(Data("hello, world".utf8), spec: spec)
            Issue.record("not an image was derived")
        } catch {
            guard case .sourceNotAnImage(let message) = error else { Issue.record("\(error)"); return }
            #expect(message.contains("not in a known format"), "\(message)")
        }
        await #expect(throws: DeriveError.invalidSpec("the width 0 is out of range; give 1 to 16383 pixels")) {
            try await client.derive(DeriveFixtures.photo(), spec: DeriveSpec(size: .width(0), format: .png))
        }
        await #expect(throws: DeriveError.unknownFont(name: "DejaVu Sanz Bold", family: "DejaVu Sanz", suggestion: "DejaVu Sans")) {
            try await client.resolveFont("DejaVu Sanz Bold")
        }
        // The same error from a derivation whose text overlay names it.
        let text = DeriveSpec(size: .width(64), format: .png, overlays: [.text(DeriveTextOverlay(text: "x", font: "DejaVu Sanz", size: 12))])
        await #expect(throws: DeriveError.unknownFont(name: "DejaVu Sanz", family: "DejaVu Sanz", suggestion: "DejaVu Sans")) {
            try await client.derive(DeriveFixtures.photo(), spec: text)
        }
        #expect(try await client.resolveFont("DejaVu Sans Bold") == DeriveFonts.resolve("DejaVu Sans Bold"))
        #expect(await client.stop() == .exited(0), "errors do not harm the worker")
    }

    @Test func many_concurrent_requests_are_each_answered_with_their_own_result() async throws {
        let client = VipsWorkerClient(executable: try WorkerFixtures.binary(), maxInFlight: 3)
        let source = DeriveFixtures.photo(width: 320, height: 240)
        let widths = Array(20..<60)
        let sizes = try await withThrowingTaskGroup(of: (Int, Int, Int).self) { group in
            for width in widths {
                group.addTask {
                    let output = try await client.derive(source, spec: DeriveSpec(size: .width(width), format: .png))
                    let info = try DerivedImageReader.info(output.data)
                    return (width, info.width, info.height)
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = ($1.1, $1.2) }
        }
        #expect(sizes.count == widths.count)
        for width in widths {
            #expect(sizes[width]?.0 == width)
            // 4:3 source, libvips' own rounding of the other side.
            #expect(abs((sizes[width]?.1 ?? 0) * 4 - width * 3) <= 4, "\(width): \(String(describing: sizes[width]))")
        }
        let pid = try #require(client.workerPID)
        #expect(await client.stop() == .exited(0), "one worker served them all")
        #expect(!isUnreapedChild(pid))
    }

    @Test func closing_stdin_ends_the_worker_and_it_is_reaped() async throws {
        let client = VipsWorkerClient(executable: try WorkerFixtures.binary())
        _ = try await client.version()
        let pid = try #require(client.workerPID)
        #expect(isUnreapedChild(pid), "running")
        #expect(await client.stop() == .exited(0))
        #expect(!isUnreapedChild(pid), "reaped: no zombie left")
        #expect(await client.stop() == nil, "nothing left to stop")
    }

    @Test func in_process_toolchain_matches_the_deriver() async throws {
        let toolchain = InProcessDeriveToolchain(concurrency: 2)
        let source = DeriveFixtures.photo()
        #expect(try await toolchain.version() == Vips.version)
        #expect(try await toolchain.derive(source, spec: WorkerFixtures.richSpec) == ImageDeriver.make(source, spec: WorkerFixtures.richSpec))
        await #expect(throws: DeriveError.self) { try await toolchain.resolveFont("No Such Family Anywhere") }
    }

    @Test func the_wire_spec_round_trips_every_field() throws {
        let specs = [WorkerFixtures.richSpec, DeriveSpec(size: .height(7), fit: .inside, crop: .entropy, format: .avif),
                     DeriveSpec(size: .exact(width: 3, height: 4), fit: .fill, format: .webp, quality: 1)]
        for spec in specs {
            var blobs = [Data("source".utf8)]
            let wire = WireSpec(spec, blobs: &blobs)
            let decoded = try WireProtocol.decode(WireSpec.self, from: WireProtocol.encode(wire))
            #expect(try decoded.spec(blobs: blobs) == spec)
        }
    }
}
