// The spec values (sizes, fits, overlays, errors) live in AssetBuildDeriveSpec, which the
// manifest and the engine use without loading libvips; this module turns them into pixels.
@_exported import AssetBuildDeriveSpec
