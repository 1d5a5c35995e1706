import Foundation

/// Where the `assetbuild-vips` worker binary is: beside the running executable first (an
/// installed or built assetbuild uses the worker built with it, so both speak the same protocol
/// version), then the file `ASSETBUILD_VIPS` names, then each directory on `PATH`.
package enum WorkerLocator {
    package static let binaryName = "assetbuild-vips"
    package static let overrideVariable = "ASSETBUILD_VIPS"

    /// The binary, or `.workerFailed` naming every place looked.
    package static func find(selfExecutable: String? = selfExecutablePath(),
                             environment: [String: String] = ProcessInfo.processInfo.environment,
                             isExecutable: (String) -> Bool = isExecutableFile) -> Result<String, DeriveError> {
        var candidates: [String] = []
        if let selfExecutable {
            candidates.append(URL(fileURLWithPath: selfExecutable).deletingLastPathComponent().appendingPathComponent(binaryName).path)
        }
        if let explicit = environment[overrideVariable], !explicit.isEmpty { candidates.append(explicit) }
        for dir in (environment["PATH"] ?? "").split(separator: ":") where !dir.isEmpty {
            candidates.append(String(dir) + "/" + binaryName)
        }
        if let found = candidates.first(where: isExecutable) { return .success(found) }
        let looked = candidates.isEmpty ? "nowhere (no executable path, \(overrideVariable) or PATH)" : candidates.joined(separator: ", ")
        return .failure(.workerFailed(
            "the libvips worker '\(binaryName)' was not found (looked in: \(looked)); derived images need it: install it beside "
            + "assetbuild (`swift build` builds both), or set \(overrideVariable) to its path"))
    }

    /// The running executable (`/proc/self/exe` resolved), nil where there is none.
    package static func selfExecutablePath() -> String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first
    }

    package static func isExecutableFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }
}
