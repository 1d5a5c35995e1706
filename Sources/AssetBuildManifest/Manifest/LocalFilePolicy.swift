import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
/// Which local files a manifest may read and send: those in its own folder, unless the user
/// allows more. A cloned repository must not be able to send `~/Pictures/passport.jpeg` (or
/// anything an absolute path, `..` or a symbolic link reaches) to the service on its own.
public struct LocalFilePolicy: Sendable {
    /// `--allow-outside` or `ASSETBUILD_ALLOW_OUTSIDE=1`: any readable file may be used.
    public var allowAnywhere: Bool
    /// `provider.allow_outside`: folders (absolute, real paths) the manifest itself allows.
    package var allowedFolders: [String] = []
    /// The manifest's folder and its real path, resolved once (`allow(_:directory:)`) rather than
    /// for every file checked against it.
    private var folder: (path: String, real: String)?

    public static let environmentVariable = "ASSETBUILD_ALLOW_OUTSIDE"
    public static let manifestKey = "allow_outside"

    public init(allowAnywhere: Bool = false) {
        self.allowAnywhere = allowAnywhere
    }

    /// Whether the environment gives consent (`1`, `true` or `yes`).
    public static func allowed(by environment: [String: String]) -> Bool {
        ["1", "true", "yes"].contains(environment[environmentVariable]?.lowercased() ?? "")
    }

    /// Why the file `relative` (as written, relative to `directory` or absolute) may not be
    /// read, or nil when it may.
    package func refusal(_ relative: String, directory: String, what: String) -> (message: String, notes: [String])? {
        guard !allowAnywhere else { return nil }
        let folder = self.folder.flatMap { $0.path == directory ? $0.real : nil } ?? FileOps.realPath(directory)
        let written = relative.hasPrefix("/") ? relative : directory + "/" + relative
        let resolved = FileOps.realPath(written)
        if FileOps.isInside(resolved, folder: folder) { return nil }
        if allowedFolders.contains(where: { FileOps.isInside(resolved, folder: $0) }) { return nil }
        let how = FileOps.isInside(FileOps.normalized(written), folder: FileOps.normalized(directory))
            ? "leads outside the manifest's folder through a symbolic link"
            : relative.hasPrefix("/") ? "is an absolute path outside the manifest's folder" : "is outside the manifest's folder"
        return ("\(what) '\(relative)' \(how); local files stay local unless you allow it",
                ["to allow it, pass --allow-outside (or set \(Self.environmentVariable)=1), or list its folder under provider.\(Self.manifestKey)"])
    }

    /// Takes `directory` as the manifest's folder and adds the folders of `provider.allow_outside`,
    /// relative to it or absolute.
    package mutating func allow(_ folders: [String], directory: String) {
        folder = (directory, FileOps.realPath(directory))
        allowedFolders += folders.map { FileOps.realPath($0.hasPrefix("/") ? $0 : directory + "/" + $0) }
    }
}
