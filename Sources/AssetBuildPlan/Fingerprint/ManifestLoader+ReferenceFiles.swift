import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// Loading a manifest with its reference files checked too: a manifest with errors gets its
/// files checked in the same pass, so every problem is reported at once. Here rather than in the
/// manifest layer because reading reference files is `InputFiles`' job.
extension ManifestLoader {
    /// Loads and checks the manifest at `path`; `displayName` is how diagnostics name the file.
    /// `allowOutside` lets references and text files come from anywhere (`--allow-outside`).
    public static func load(path: String, displayName: String? = nil,
                            allowOutside: Bool = false) throws(DiagnosticsError) -> Manifest {
        try load(path: path, displayName: displayName, allowOutside: allowOutside, fileChecks: { referenceFileChecks($0, mayRead: $1) })
    }

    /// `parse`, with the reference files of a manifest that has errors checked when `checkFiles`.
    public static func parse(text: String, file: String, path: String, directory: String,
                             checkFiles: Bool, allowOutside: Bool = false) throws(DiagnosticsError) -> Manifest {
        let checks: ReferenceFileChecks? = checkFiles ? { referenceFileChecks($0, mayRead: $1) } : nil
        return try parse(text: text, file: file, path: path, directory: directory, fileChecks: checks, allowOutside: allowOutside)
    }

    package static func referenceFileChecks(_ manifest: Manifest, mayRead: (String) -> Bool) -> [Diagnostic] {
        InputFiles(memo: [:]).check(manifest, mayRead: mayRead)
    }
}
