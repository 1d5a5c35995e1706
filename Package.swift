// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "assetbuild",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "assetbuild", targets: ["assetbuild"]),
        .executable(name: "fake-ark", targets: ["fake-ark"]),
        .executable(name: "assetbuild-vips", targets: ["assetbuild-vips"]),
        .library(name: "AssetBuildCore", targets: ["AssetBuildCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        // The fake Ark server (test support and `fake-ark` for trying the client by hand).
        .package(url: "https://github.com/swhitty/FlyingFox", exact: "0.27.1"),
    ],
    targets: [
        // C libraries from Debian -dev packages: each folder holds module.modulemap + shim.h.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CSQLite3", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSLCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CFreeType", pkgConfig: "freetype2", providers: [.apt(["libfreetype-dev"])]),
        // libvips for derived images (resize, smart crop, overlays, text through Pango, every format).
        .systemLibrary(name: "CVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        // hiredis, the C client of Redis, for the rate limit and leases shared by many runners.
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),

        // The pipeline, one target per layer, lowest first. A layer imports only the layers below
        // it, so the compiler holds the direction manifest → plan → run → report
        // (docs/architecture.md has the picture). Declarations shared across layers are `package`.
        .target(name: "AssetBuildSupport", dependencies: ["CCurl", "COpenSSLCrypto"]),
        .target(name: "AssetBuildCatalog", dependencies: ["AssetBuildSupport"]),
        .target(name: "AssetBuildImaging", dependencies: ["AssetBuildCatalog", "CTurboJPEG", "CPNG", "CFreeType"]),
        .target(name: "AssetBuildStorybook", dependencies: ["AssetBuildCatalog"]),
        // What a derived image is (size, fit, crop, format, overlays) as plain values: the manifest
        // declares them and the engine keys them without loading libvips.
        .target(name: "AssetBuildDeriveSpec", dependencies: ["AssetBuildSupport"]),
        // Derived images (channel sizes, crops, formats, overlays): every pixel through libvips.
        // Not linked into `assetbuild` yet: libvips brings 66 shared libraries, which add about
        // 23 ms to every start (a no-op build included). The engine will load it only when a
        // target derives something (issue 10).
        .target(name: "AssetBuildDerive", dependencies: ["AssetBuildDeriveSpec", "CVips"]),
        // The pipe to the libvips worker: its wire format (frames of a JSON header and raw bytes)
        // and the client `VipsWorkerClient`, which `assetbuild` uses without linking libvips.
        .target(name: "AssetBuildDeriveWorker", dependencies: ["AssetBuildDeriveSpec", "AssetBuildSupport"]),
        // The worker itself: AssetBuildDerive (libvips) behind stdin/stdout, started by the client.
        .executableTarget(name: "assetbuild-vips", dependencies: ["AssetBuildDerive", "AssetBuildDeriveWorker", "CVips"]),
        .target(name: "AssetBuildManifest", dependencies: [
            "AssetBuildImaging", "AssetBuildStorybook", "AssetBuildDeriveSpec", "AssetBuildCoordination",
            .product(name: "Yams", package: "Yams"),
        ]),
        .target(name: "AssetBuildPlan", dependencies: ["AssetBuildManifest", "CSQLite3"]),
        .target(name: "AssetBuildProviders", dependencies: ["AssetBuildManifest"]),
        // The shared remote cache (Bazel HTTP protocol or S3 over libcurl): fetches verified
        // results into the local cache and uploads paid ones.
        .target(name: "AssetBuildRemote", dependencies: ["AssetBuildPlan"]),
        // Redis for many runners: the connection (hiredis on its own queue), the shared
        // images-per-minute script and leases per action key. Knows nothing of builds.
        .target(name: "AssetBuildCoordination", dependencies: ["AssetBuildSupport", "CHiredis"]),
        .target(name: "AssetBuildRun", dependencies: ["AssetBuildPlan", "AssetBuildRemote", "AssetBuildProviders", "AssetBuildCoordination"]),
        .target(name: "AssetBuildReport", dependencies: ["AssetBuildRun"]),
        // Every layer under one import, for the command-line tool, the fake server and the tests.
        .target(name: "AssetBuildCore", dependencies: ["AssetBuildReport"]),
        // The thin command-line front end.
        .executableTarget(name: "assetbuild", dependencies: [
            "AssetBuildCore", "AssetBuildDeriveWorker",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // A loopback server that speaks Ark's wire protocol, with its errors and faults.
        .target(name: "FakeArk", dependencies: [
            "AssetBuildCore", "CTurboJPEG",
            .product(name: "FlyingFox", package: "FlyingFox"),
        ]),
        .executableTarget(name: "fake-ark", dependencies: [
            "FakeArk", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // bench/derive.py's Swift runner: ImageDeriver over the five variants, N at a time.
        .executableTarget(name: "derive-bench", dependencies: ["AssetBuildDerive", "AssetBuildDeriveWorker", "AssetBuildImaging"],
                          path: "bench/derive-bench"),
        .testTarget(name: "AssetBuildTests", dependencies: [
            "AssetBuildCore", "AssetBuildDerive", "AssetBuildDeriveWorker", "FakeArk",
            // Built for the worker round-trip tests, which start it as a child process.
            "assetbuild-vips",
        ], exclude: [
            // Golden manifests and their expected diagnostics, read through #filePath.
            "Fixtures/manifests",
            // Golden output of plan, status, build --explain and every --help (CLIGoldenTests).
            "Fixtures/cli",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
