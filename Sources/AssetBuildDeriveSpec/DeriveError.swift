import Foundation
import AssetBuildSupport

/// Why a derivation failed. Each message says what was wrong and what to do.
/// Codable: the `assetbuild-vips` worker sends it back over its pipe (AssetBuildDeriveWorker).
public enum DeriveError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// libvips could not start (its own message); nothing can be derived in this process.
    case libraryUnavailable(String)
    /// The source bytes are not an image libvips can read (its own message).
    case sourceNotAnImage(String)
    /// Overlay number `index` (1-based) is not an image libvips can read (its own message).
    case overlayNotAnImage(index: Int, String)
    /// The spec asks for something impossible: a size of 0, a quality of 120 …
    case invalidSpec(String)
    /// No installed font has this family; `suggestion` is the closest installed family, if any.
    case unknownFont(name: String, family: String, suggestion: String?)
    /// A libvips operation failed: its name and libvips' own message.
    case vips(operation: String, message: String)
    /// The `assetbuild-vips` worker process could not be found or started, died, or broke the
    /// protocol; the message says which, and what to do. The next request starts a fresh worker.
    case workerFailed(String)
    /// The task that asked was cancelled (the build is stopping); the answer was abandoned.
    case cancelled

    public var description: String {
        switch self {
        case .libraryUnavailable(let message):
            return "libvips could not start: \(message); check that libvips is installed (scripts/install-deps)"
        case .sourceNotAnImage(let message):
            return "the source is not an image libvips can read (\(message)); check that it is a JPEG, PNG, WebP, AVIF or other image file"
        case .overlayNotAnImage(let index, let message):
            return "overlay \(index) is not an image libvips can read (\(message)); use a PNG or SVG file"
        case .invalidSpec(let message):
            return message
        case .unknownFont(let name, let family, let suggestion):
            let hint = suggestion.map { "did you mean '\($0)'? " } ?? ""
            return "no installed font has the family '\(family)' (from '\(name)'); \(hint)`fc-list : family` lists the installed families"
        case .vips(let operation, let message):
            return "libvips \(operation) failed: \(message)"
        case .workerFailed(let message):
            return message
        case .cancelled:
            return "the derivation was cancelled because the build is stopping; run the build again to finish it"
        }
    }
}
