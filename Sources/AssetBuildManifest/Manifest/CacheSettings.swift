import Foundation
import Yams
import AssetBuildSupport

/// Where a shared remote cache lives (DESIGN §6): a server of the Bazel HTTP remote-cache
/// protocol (`https://host/prefix`, served by bazel-remote, nginx WebDAV and CI caches), or an S3
/// bucket (`s3://bucket/prefix`, with the endpoint and region settable for R2, GCS, MinIO).
public struct RemoteCacheLocation: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// `scheme://host[:port][/prefix]`, without a trailing slash and without userinfo.
        case http(base: String)
        /// The bucket, and the key prefix (no leading or trailing slash; may be empty).
        case s3(bucket: String, prefix: String)
    }

    public var kind: Kind
    /// `user:password` written in the URL. Only the environment's URL may carry it (the manifest
    /// refuses one); it is used as basic auth and never printed.
    public var userinfo: String?

    /// The URL as messages print it: never the userinfo.
    public var description: String {
        switch kind {
        case .http(let base): return base
        case .s3(let bucket, let prefix): return "s3://\(bucket)" + (prefix.isEmpty ? "" : "/\(prefix)")
        }
    }

    public init(kind: Kind, userinfo: String? = nil) {
        self.kind = kind
        self.userinfo = userinfo
    }

    /// Parses a remote cache URL, or says what is wrong with it (with a corrected spelling when
    /// one is likely). Credentials written into it are refused unless `allowUserinfo`.
    public static func parse(_ text: String, allowUserinfo: Bool) -> Result<RemoteCacheLocation, ParseError> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let schemeEnd = trimmed.range(of: "://") else {
            // `cache.example.com/bazel` names a server; `team-assets/cache` a bucket.
            let first = trimmed.split(separator: "/").first ?? ""
            let guess = first.contains(".") || first.contains(":") ? "https://\(trimmed)" : "s3://\(trimmed)"
            return .failure(ParseError(message: "a remote cache is an https://, http:// or s3:// URL; did you mean '\(guess)'?"))
        }
        let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
        var rest = String(trimmed[schemeEnd.upperBound...])
        guard ["https", "http", "s3"].contains(scheme) else {
            let fix = SpellCheck.suggestion(for: scheme, in: ["https", "http", "s3"]).map { "; did you mean '\($0)://\(rest)'?" } ?? ""
            return .failure(ParseError(message: "a remote cache URL starts with https://, http:// or s3://, not \(scheme)://\(fix)"))
        }
        if rest.contains("?") || rest.contains("#") {
            return .failure(ParseError(message: "a remote cache URL has no query or fragment ('?', '#'); write the server and the path prefix only"))
        }
        var userinfo: String?
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            guard allowUserinfo else {
                return .failure(ParseError(message: "credentials must not be in the manifest: remove the user and password before '@' (never repeated here) and set them in the environment "
                                           + "(ASSETBUILD_REMOTE_BASIC_AUTH or ASSETBUILD_REMOTE_BEARER_TOKEN; AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for s3://)"))
            }
            userinfo = String(rest[..<at]).removingPercentEncoding ?? String(rest[..<at])
            rest = String(rest[rest.index(after: at)...])
        }
        while rest.hasSuffix("/") { rest.removeLast() }
        let host = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        let path = rest.split(separator: "/", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        guard !host.isEmpty else {
            return .failure(ParseError(message: scheme == "s3" ? "an s3:// URL names its bucket: s3://BUCKET/PREFIX" : "the URL names no server: \(scheme)://HOST/PREFIX"))
        }
        if !path.isEmpty, path.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            return .failure(ParseError(message: "the URL's path has an empty, '.' or '..' part; write it as plain names separated by single '/'"))
        }
        if scheme == "s3" {
            guard host.range(of: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", options: .regularExpression) != nil else {
                return .failure(ParseError(message: "'\(host)' is not an S3 bucket name: 3 to 63 lowercase letters, digits, '.' and '-'"))
            }
            return .success(RemoteCacheLocation(kind: .s3(bucket: host, prefix: path), userinfo: userinfo))
        }
        return .success(RemoteCacheLocation(kind: .http(base: "\(scheme)://\(rest)"), userinfo: userinfo))
    }

    public struct ParseError: Error, Sendable {
        public var message: String
    }
}

/// The manifest's `cache:` settings. Reads are by default; uploads are asked for on the command
/// line or in the environment (`--upload`, `ASSETBUILD_REMOTE_UPLOAD=1`), never here: every
/// laptop reading the manifest would upload otherwise.
public struct CacheSettings: Sendable {
    public var remote: RemoteCacheLocation?
    public var remoteLocation: SourceLocation?
    /// S3 only: the endpoint of another S3 service (`https://ACCOUNT.r2.cloudflarestorage.com`,
    /// `https://storage.googleapis.com`, MinIO's URL); AWS's by default.
    public var endpoint: String?
    /// S3 only: the signing region (`us-east-1` by default; `auto` for R2).
    public var region: String?

    public init() {}

    package static let keys = ["remote", "endpoint", "region"]

    /// `cache:` from the manifest, every mistake reported at its position.
    package static func parse(_ node: Node, tree: inout YAMLTree) -> CacheSettings {
        var settings = CacheSettings()
        guard let entries = tree.entries(of: node, context: "'cache'") else { return settings }
        tree.checkKeys(entries, known: keys, elsewhere: [
            "upload": "is not a manifest setting: upload with 'assetbuild build --upload' or ASSETBUILD_REMOTE_UPLOAD=1 (typically CI on the main branch)",
        ])
        for (key, _, v) in entries {
            guard keys.contains(key), let s = tree.string(v, for: "cache.\(key)") else { continue }
            switch key {
            case "remote":
                switch RemoteCacheLocation.parse(s, allowUserinfo: false) {
                case .success(let location):
                    settings.remote = location
                    settings.remoteLocation = tree.location(v)
                case .failure(let error):
                    tree.error(error.message, at: v)
                }
            case "endpoint":
                if s.hasPrefix("https://") || s.hasPrefix("http://") {
                    settings.endpoint = s.hasSuffix("/") ? String(s.dropLast()) : s
                } else {
                    tree.error("'cache.endpoint' is the S3 service's URL; did you mean 'https://\(s)'?", at: v)
                }
            case "region":
                if s.range(of: "^[a-z0-9-]{1,32}$", options: .regularExpression) != nil {
                    settings.region = s
                } else {
                    tree.error("'cache.region' is a region name such as us-east-1 (or auto for Cloudflare R2)", at: v)
                }
            default: break
            }
        }
        if settings.remote == nil, settings.endpoint != nil || settings.region != nil,
           !entries.contains(where: { $0.key == "remote" }) {
            tree.warning("'cache.endpoint' and 'cache.region' are used only with 'cache.remote: s3://BUCKET/PREFIX'", at: tree.location(node))
        }
        return settings
    }
}
