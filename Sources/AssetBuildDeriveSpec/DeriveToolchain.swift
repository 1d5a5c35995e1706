import Foundation

/// The pixel side of derived targets as the engine sees it: what it asks libvips, wherever
/// libvips runs (the `assetbuild-vips` worker process, or in process in tests and benchmarks).
/// The plan asks `version` and `resolveFont` before computing keys (both belong in a derived
/// action's key); the run asks `derive` once per output image.
public protocol DeriveToolchain: Sendable {
    /// The libvips version that will do the work ("8.15.1"): part of every derived key.
    func version() async throws(DeriveError) -> String
    /// The font file a text overlay's font name resolves to; `.unknownFont` with the closest
    /// installed family when no installed font has that family.
    func resolveFont(_ name: String) async throws(DeriveError) -> ResolvedFont
    /// `source` (an image's bytes) sized, cropped, overlaid and encoded as `spec` says.
    func derive(_ source: Data, spec: DeriveSpec) async throws(DeriveError) -> DerivedImage
    /// Called when the build (or plan) is over: stop what was started for it. A later request
    /// may start again.
    func shutdown() async
    /// The program that answers `version` and `resolveFont` (the worker binary), found without
    /// starting it; nil when there is none to watch. With `stateFiles`, it lets the answers be
    /// kept between runs (`DeriveFacts`): they hold while none of these files changed.
    func executable() -> String?
    /// The other files whose change may change those answers: libvips', fontconfig's and Pango's
    /// libraries, fontconfig's configuration files and directories, and its font directories.
    func stateFiles() async throws(DeriveError) -> [String]
}

extension DeriveToolchain {
    public func shutdown() async {}
    public func executable() -> String? { nil }
    public func stateFiles() async throws(DeriveError) -> [String] { [] }
}

/// A derived image: its encoded bytes and the size libvips made it (a one-sided size or an
/// `inside` fit decide the other side from the source).
public struct DerivedImage: Sendable, Hashable {
    public var data: Data
    public var width: Int
    public var height: Int

    public init(data: Data, width: Int, height: Int) {
        self.data = data
        self.width = width
        self.height = height
    }
}

/// What a font name resolves to. The file's bytes belong in a derived action's key.
public struct ResolvedFont: Sendable, Hashable, Codable {
    /// The matched family, as fontconfig spells it.
    public var family: String
    /// The font file fontconfig picked for the family and style.
    public var file: String

    public init(family: String, file: String) {
        self.family = family
        self.file = file
    }
}
