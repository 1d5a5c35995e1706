import Foundation
import AssetBuildSupport

/// Where the shared Redis is: `redis://[[user]:password@]host[:port][/db]`.
///
/// The password is kept for AUTH and never printed: `description` (used in every message) leaves
/// the credentials out.
public struct RedisURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// Redis 6 ACL user; nil for the `default` user (a bare `:password@`).
    public var user: String?
    public var password: String?
    public var database: Int

    public init(host: String, port: Int = 6379, user: String? = nil, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// The URL without its credentials: safe for logs and warnings.
    public var description: String { "redis://\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" }

    /// Why a text is not a Redis URL, said so that the user can fix it.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Parses `text`; the error names the part that is wrong and shows the expected form.
    public static func parse(_ text: String) throws(Invalid) -> RedisURL {
        let form = "the form is redis://[:password@]host[:port][/db], such as redis://127.0.0.1:6379/0"
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let schemeEnd = trimmed.range(of: "://") else {
            throw Invalid(description: "'\(redacted(text))' is not a Redis URL; did you mean 'redis://\(redacted(trimmed))'? (\(form))")
        }
        let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "redis" else {
            let hint = scheme == "rediss" ? " (TLS is not supported: use a TLS tunnel such as stunnel, or a private network)"
                : SpellCheck.didYouMean(scheme, in: ["redis"])
            throw Invalid(description: "unsupported scheme '\(scheme)://'\(hint); \(form)")
        }
        var rest = Substring(trimmed[schemeEnd.upperBound...])
        var url = RedisURL(host: "")
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                url.user = user.isEmpty ? nil : String(user).removingPercentEncoding ?? String(user)
                let password = credentials[credentials.index(after: colon)...]
                url.password = password.isEmpty ? nil : String(password).removingPercentEncoding ?? String(password)
            } else if !credentials.isEmpty {
                // `redis://secret@host` is the password alone in most clients.
                url.password = String(credentials).removingPercentEncoding ?? String(credentials)
            }
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty {
                guard let db = Int(path), (0...1_000_000).contains(db) else {
                    throw Invalid(description: "'/\(path)' in \(redacted(text)) is not a database number; \(form)")
                }
                url.database = db
            }
        }
        if authority.contains("?") || authority.contains("#") {
            throw Invalid(description: "\(redacted(text)) has a query or fragment, which assetbuild does not read; \(form)")
        }
        var host = authority
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw Invalid(description: "\(redacted(text)) is not a Redis URL; \(form)") }
                url.port = try port(after.dropFirst(), text)
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            url.port = try port(authority[authority.index(after: colon)...], text)
        }
        guard !host.isEmpty else { throw Invalid(description: "\(redacted(text)) names no host; \(form)") }
        url.host = String(host)
        return url
    }

    private static func port(_ s: Substring, _ text: String) throws(Invalid) -> Int {
        guard let p = Int(s), (1...65535).contains(p) else {
            throw Invalid(description: "'\(s)' in \(redacted(text)) is not a port (1 to 65535)")
        }
        return p
    }

    /// `text` with any password replaced by asterisks, for messages about a URL that did not parse.
    public static func redacted(_ text: String) -> String {
        text.replacingOccurrences(of: #"(^|://)[^/\s]*@"#, with: "$1********@", options: .regularExpression)
    }
}
