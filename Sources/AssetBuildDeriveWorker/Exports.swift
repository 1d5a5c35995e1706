// The spec values and the DeriveToolchain protocol this module implements over the worker pipe.
@_exported import AssetBuildDeriveSpec
