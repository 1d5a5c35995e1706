import AssetBuildSupport
import AssetBuildManifest
import AssetBuildDeriveSpec

/// What derived targets' keys need from libvips' side, asked once before planning: the libvips
/// version and the font file each text overlay's font name resolves to (both change the pixels).
public struct DeriveFacts: Sendable, Hashable {
    public var vipsVersion: String
    /// Font name as written in the manifest → the file fontconfig resolves it to.
    public var fonts: [String: ResolvedFont]

    public init(vipsVersion: String, fonts: [String: ResolvedFont]) {
        self.vipsVersion = vipsVersion
        self.fonts = fonts
    }

    /// The facts `targets` need, or nil when none of them derives anything (the toolchain is then
    /// never asked, so a build without derived targets never starts libvips). A font no installed
    /// font matches is an error at the place it was written, with the closest installed family:
    /// exit 2, before anything runs.
    public static func gather(for targets: [Target], toolchain: (any DeriveToolchain)?,
                              manifest: Manifest) async throws -> DeriveFacts? {
        let derived = targets.compactMap(\.derived)
        guard !derived.isEmpty else { return nil }
        guard let toolchain else {
            throw DiagnosticsError([.error("derived targets need libvips, which this build cannot reach; "
                                           + "install it with scripts/install-deps", at: derived[0].source.location)])
        }
        let version: String
        do throws(DeriveError) { version = try await toolchain.version() } catch {
            throw DiagnosticsError([.error("derived targets cannot be planned: \(error)", at: nil)])
        }
        var fonts: [String: ResolvedFont] = [:]
        var problems: [Diagnostic] = []
        for spec in derived {
            for overlay in spec.overlays {
                guard case .text(let t) = overlay.value, fonts[t.font] == nil else { continue }
                switch await resolve(t.font, with: toolchain) {
                case .success(let font):
                    fonts[t.font] = font
                case .failure(let error):
                    // An unknown font is the manifest's error, at the place it is named; anything
                    // else means libvips cannot answer at all.
                    guard case .unknownFont = error else {
                        throw DiagnosticsError([.error("derived targets cannot be planned: \(error)", at: nil)])
                    }
                    problems.append(.error(error.description, at: t.fontLocation))
                }
            }
        }
        guard problems.isEmpty else { throw manifest.diagnosticsError(ManifestLoader.sorted(problems)) }
        return DeriveFacts(vipsVersion: version, fonts: fonts)
    }

    private static func resolve(_ name: String, with toolchain: any DeriveToolchain) async -> Result<ResolvedFont, DeriveError> {
        do throws(DeriveError) { return .success(try await toolchain.resolveFont(name)) } catch { return .failure(error) }
    }
}
