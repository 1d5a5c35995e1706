// Every layer of the pipeline under one import, for the command-line tool, the fake server and
// the tests. The layers themselves import only the layers below them (Package.swift).
@_exported import AssetBuildSupport
@_exported import AssetBuildCatalog
@_exported import AssetBuildImaging
@_exported import AssetBuildStorybook
@_exported import AssetBuildDeriveSpec
@_exported import AssetBuildManifest
@_exported import AssetBuildPlan
@_exported import AssetBuildRemote
@_exported import AssetBuildProviders
@_exported import AssetBuildCoordination
@_exported import AssetBuildRun
@_exported import AssetBuildReport
