import Foundation

/// libvips in this process: `ImageDeriver` and `DeriveFonts` called directly, at most
/// `concurrency` derivations at a time. For tests and the derive benchmark; `assetbuild` itself
/// uses the worker process (`VipsWorkerClient`), which keeps libvips out of its start-up.
public struct InProcessDeriveToolchain: DeriveToolchain {
    private let slots: DeriveSlots

    /// `concurrency` derivations at most at once (default: the cores). Each derivation is CPU
    /// work on the calling task's thread, so more than the cores only adds memory.
    public init(concurrency: Int = ProcessInfo.processInfo.activeProcessorCount) {
        slots = DeriveSlots(limit: concurrency)
    }

    public func version() async throws(DeriveError) -> String {
        try Vips.start()
        return Vips.version
    }

    public func resolveFont(_ name: String) async throws(DeriveError) -> ResolvedFont {
        try DeriveFonts.resolve(name)
    }

    public func derive(_ source: Data, spec: DeriveSpec) async throws(DeriveError) -> DerivedImage {
        try await slots.acquire()
        defer { slots.release() }
        if Task.isCancelled { throw .cancelled }
        return try ImageDeriver.make(source, spec: spec)
    }
}
