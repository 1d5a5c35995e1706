import AssetBuildSupport
import AssetBuildManifest
import AssetBuildDeriveSpec

/// What derived targets' keys need from libvips' side, asked once before planning: the libvips
/// version and the font file each text overlay's font name resolves to (both change the pixels).
/// Kept between runs in the state folder (`DeriveFactsCache`), so libvips' worker starts only
/// when something derives or one of the files that decide these answers changed.
public struct DeriveFacts: Sendable, Hashable {
    public var vipsVersion: String
    /// Font name as written in the manifest → the file fontconfig resolves it to.
    public var fonts: [String: ResolvedFont]
    /// The files whose change may change these answers (the worker binary first, then
    /// `DeriveToolchain.stateFiles`); empty when the toolchain names none. The no-op stamp
    /// covers them, so an upgraded libvips or an installed font re-plans.
    public var stateFiles: [String]

    public init(vipsVersion: String, fonts: [String: ResolvedFont], stateFiles: [String] = []) {
        self.vipsVersion = vipsVersion
        self.fonts = fonts
        self.stateFiles = stateFiles
    }

    /// The facts `targets` need, or nil when none of them derives anything (the toolchain is then
    /// never asked, so a build without derived targets never starts libvips). From `cache` when
    /// it still holds; otherwise asked (and `cache` rewritten). A font no installed font matches
    /// is an error at the place it was written, with the closest installed family: exit 2,
    /// before anything runs.
    public static func gather(for targets: [Target], toolchain: (any DeriveToolchain)?, manifest: Manifest,
                              cache: DeriveFactsCache? = nil) async throws -> DeriveFacts? {
        let derived = targets.compactMap(\.derived)
        guard !derived.isEmpty else { return nil }
        guard let toolchain else {
            throw DiagnosticsError([.error("derived targets need libvips, which this build cannot reach; "
                                           + "install it with scripts/install-deps", at: derived[0].source.location)])
        }
        let texts = derived.flatMap { $0.overlays.compactMap { o -> TextOverlayDeclaration? in
            if case .text(let t) = o.value { return t } else { return nil }
        } }
        let executable = cache == nil ? nil : toolchain.executable()
        if let cache, let executable, let hit = cache.lookup(executable: executable, fonts: Set(texts.map(\.font))) {
            return hit
        }
        // The state is read before libvips answers: a change while it answers leaves a stale
        // entry (asked again next time), never a wrong one.
        var stateFiles: [String] = [], stats: [String] = []
        if let cache, let executable {
            stateFiles = [executable] + (try await ask(toolchain.stateFiles))
            stats = cache.stats(stateFiles)
        }
        let version = try await ask(toolchain.version)
        var fonts: [String: ResolvedFont] = [:]
        var problems: [Diagnostic] = []
        for t in texts where fonts[t.font] == nil {
            do throws(DeriveError) {
                fonts[t.font] = try await toolchain.resolveFont(t.font)
            } catch {
                // An unknown font is the manifest's error, at the place it is named; anything
                // else means libvips cannot answer at all.
                guard case .unknownFont = error else { throw cannotPlan(error) }
                problems.append(.error(error.description, at: t.fontLocation))
            }
        }
        guard problems.isEmpty else { throw manifest.diagnosticsError(ManifestLoader.sorted(problems)) }
        let facts = DeriveFacts(vipsVersion: version, fonts: fonts, stateFiles: stateFiles)
        if let cache, let executable { cache.store(facts, executable: executable, stats: stats) }
        return facts
    }

    private static func ask<T>(_ question: () async throws(DeriveError) -> T) async throws -> T {
        do throws(DeriveError) { return try await question() } catch { throw cannotPlan(error) }
    }

    private static func cannotPlan(_ error: DeriveError) -> DiagnosticsError {
        DiagnosticsError([.error("derived targets cannot be planned: \(error)", at: nil)])
    }
}
