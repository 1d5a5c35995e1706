import AssetBuildDerive
import AssetBuildDeriveWorker
import CVips
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reads requests from stdin on a thread of its own, runs up to `jobs` at once, and writes each
/// answer as soon as it is ready (answers leave in any order; ids match them up).
final class WorkerServer: Sendable {
    let jobs: Int
    /// AVIF encodes at once, at most. One encode holds ~100 MB in libaom and uses more than one
    /// core; two at once on 2 cores were no faster than one after the other (bench/README.md)
    /// but peaked ~100 MB higher, so by default half the jobs (at least one) may encode AVIF.
    private let avif: DeriveSlots
    /// The frame stream: stdout's descriptor, moved aside so that nothing else (a library's
    /// printf) can write into it; fd 1 then points at stderr.
    private let output: Int32
    private let writing = Mutex(())

    init(jobs: Int, avifJobs: Int) {
        self.jobs = jobs
        avif = DeriveSlots(limit: avifJobs)
        output = dup(1)
        dup2(2, 1)
        Self.startLibvips(jobs: jobs)
    }

    /// libvips' threads: each derivation's pipeline gets cores / jobs threads (1 with the default
    /// jobs = cores). The batch is many independent images, so one image per core keeps every
    /// core busy without libvips' per-pipeline threads competing with each other (cores x cores
    /// threads, each with its own tile buffers, for no more throughput). A user's
    /// VIPS_CONCURRENCY wins. A libvips that cannot start is reported per request.
    private static func startLibvips(jobs: Int) {
        guard (try? Vips.start()) != nil else { return }
        if ProcessInfo.processInfo.environment["VIPS_CONCURRENCY"] == nil {
            vips_concurrency_set(Int32(max(1, ProcessInfo.processInfo.activeProcessorCount / jobs)))
        }
    }

    func run() async {
        let (requests, continuation) = AsyncStream<(header: Data, payload: Data)>.makeStream()
        let reader = Thread {
            do {
                while let frame = try Frame.read(from: 0) { continuation.yield(frame) }
            } catch {
                Self.fail("stdin: \(error)")
            }
            continuation.finish()
        }
        reader.name = "assetbuild-vips stdin"
        reader.start()
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await frame in requests {
                if running == jobs {
                    await group.next()
                    running -= 1
                }
                let request: WireRequest
                do { request = try WireProtocol.decode(WireRequest.self, from: frame.header) } catch {
                    Self.fail("\(error)")
                }
                group.addTask { await self.answer(request, frame.payload) }
                running += 1
            }
        }
    }

    private func answer(_ request: WireRequest, _ payload: Data) async {
        var response = WireResponse(id: request.id)
        var blobs: [Data] = []
        do throws(DeriveError) {
            guard request.v == WireProtocol.version else {
                throw .workerFailed("assetbuild-vips speaks protocol version \(WireProtocol.version) and was sent version "
                                    + "\(request.v); install assetbuild and assetbuild-vips from the same build")
            }
            switch request.op {
            case .version:
                try Vips.start()
                response.version = Vips.version
            case .resolveFont:
                response.font = try DeriveFonts.resolve(request.font ?? "")
            case .stateFiles:
                response.files = try DeriveStateFiles.list()
            case .derive:
                let inputs: [Data], spec: DeriveSpec
                do throws(Frame.Failure) {
                    inputs = try Frame.blobs(payload, lengths: request.blobs)
                    guard let wire = request.spec, !inputs.isEmpty else { throw Frame.Failure("a derive request without its spec or source") }
                    spec = try wire.spec(blobs: inputs)
                } catch {
                    throw .workerFailed("assetbuild-vips could not read request \(request.id): \(error); "
                                        + "install assetbuild and assetbuild-vips from the same build")
                }
                if spec.format == .avif { try await avif.acquire() }
                defer { if spec.format == .avif { avif.release() } }
                let made = try ImageDeriver.make(inputs[0], spec: spec)
                (response.width, response.height) = (made.width, made.height)
                blobs = [made.data]
            }
        } catch {
            response.error = error
        }
        response.blobs = blobs.map(\.count)
        let header = WireProtocol.encode(response)
        let written: Frame.Failure? = writing.withLock { _ in
            do throws(Frame.Failure) { try Frame.write(header: header, blobs: blobs, to: output, send: false) } catch { return error }
            return nil
        }
        // assetbuild has gone away: nobody is left to answer.
        if let written { Self.fail("stdout: \(written)") }
    }

    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data(("assetbuild-vips: \(message); it speaks protocol \(WireProtocol.version) "
            + "on stdin/stdout and is started by assetbuild, not by hand\n").utf8))
        exit(2)
    }
}
