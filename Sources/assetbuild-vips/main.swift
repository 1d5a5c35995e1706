// assetbuild-vips: the process where assetbuild's derived images meet libvips.
//
// assetbuild starts it on the first derivation of a build (VipsWorkerClient) and talks to it
// over stdin and stdout in framed messages (AssetBuildDeriveWorker: Frame, WireRequest,
// WireResponse); it exits when its stdin closes. It opens no file and no socket: sources,
// overlay files and outputs all pass through the pipe. Its messages go to stderr, which is
// assetbuild's. Keeping libvips in its own process keeps its 66 shared libraries out of every
// assetbuild start (a no-op build must stay fast), and a crash in a codec out of the build.
//
//   assetbuild-vips [--jobs N] [--avif-jobs M]
//                                 serve requests, N derivations at once (default: the cores),
//                                 M of them AVIF encodes (default: N / 2, at least 1)
//   assetbuild-vips --version     print the protocol and libvips versions
import AssetBuildDerive
import AssetBuildDeriveWorker
import Foundation

func usage(_ message: String) -> Never {
    FileHandle.standardError.write(Data("""
        assetbuild-vips: \(message)
        usage: assetbuild-vips [--jobs N] [--avif-jobs M] | --version
        It serves assetbuild's derived images over stdin/stdout and is started by assetbuild, not by hand.

        """.utf8))
    exit(2)
}

var jobs = ProcessInfo.processInfo.activeProcessorCount
var avifJobs: Int?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--version":
        print("assetbuild-vips protocol \(WireProtocol.version), libvips \(Vips.version)")
        exit(0)
    case "--jobs":
        guard let value = arguments.popFirst().flatMap(Int.init), value > 0 else { usage("--jobs needs a number above 0") }
        jobs = value
    case "--avif-jobs":
        guard let value = arguments.popFirst().flatMap(Int.init), value > 0 else { usage("--avif-jobs needs a number above 0") }
        avifJobs = value
    case "--help", "-h":
        usage("serves derived images")
    default:
        usage("unknown argument '\(argument)'")
    }
}

await WorkerServer(jobs: jobs, avifJobs: avifJobs ?? max(1, jobs / 2)).run()
exit(0)
