import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// Where the API key may be sent. A manifest comes with a repository that anyone may have written,
/// so it does not decide alone where the user's key goes:
///
/// - the key goes over `https`, or over `http` only to this machine (a loopback address), whoever
///   chose the URL: nothing allows it in clear text across a network;
/// - Volcengine Ark's own host (`officialHosts`) needs nobody's consent, nor does a server on this
///   machine (a manifest alone cannot start one, and the key does not leave the machine);
/// - any other `provider.base_url` from the manifest needs the user's consent, given outside the
///   repository: `ASSETBUILD_ALLOW_BASE_URL=<that URL>` in the environment; `ARK_BASE_URL` is the
///   user's own choice and needs none.
public enum KeyDestination {
    /// Ark's API hosts, as its documentation names them (ark-api.md §1: `ark.cn-beijing.volces.com`).
    public static let officialHosts: Set<String> = ["ark.cn-beijing.volces.com"]
    /// The environment variable that allows a manifest's `base_url` (one URL, or several separated
    /// by spaces or commas).
    public static let consentVariable = "ASSETBUILD_ALLOW_BASE_URL"
    package static let userChoiceVariable = "ARK_BASE_URL"

    /// Who chose the base URL.
    public enum Source: Sendable, Hashable {
        case builtIn
        case manifest(SourceLocation?)
        /// `ARK_BASE_URL`.
        case environment
    }

    /// The base URL requests go to (`ARK_BASE_URL` over `provider.base_url`), and who chose it.
    public static func resolve(_ settings: ProviderSettings, environment: [String: String]) -> (url: String, source: Source) {
        if let url = environment[userChoiceVariable], !url.isEmpty { return (url, .environment) }
        if settings.baseURLLocation == nil, settings.baseURL == ProviderSettings().baseURL { return (settings.baseURL, .builtIn) }
        return (settings.baseURL, .manifest(settings.baseURLLocation))
    }

    /// Nil when the key may go where `settings` and the environment send it; otherwise an error
    /// that says why not and exactly how to allow it, at `base_url` when the manifest chose it.
    public static func refusal(_ settings: ProviderSettings, environment: [String: String]) -> Diagnostic? {
        let (url, source) = resolve(settings, environment: environment)
        let keyName = settings.apiKeyEnv
        var location: SourceLocation?
        let chooser: String
        switch source {
        case .builtIn: return nil
        case .environment: chooser = "ARK_BASE_URL"
        case .manifest(let at):
            location = at
            chooser = "provider.base_url"
        }
        guard let host = host(of: url) else {
            return .error("\(chooser) '\(TerminalText.escape(url))' is not a URL the API key can be sent to: write it as"
                          + " https://host[:port]/path (no user name, spaces or escapes in the host)", at: location)
        }
        let scheme = url.prefix { $0 != ":" }.lowercased()
        let loopback = isLoopback(host)
        if scheme != "https" && !loopback {
            return .error("\(chooser) would send the API key (\(keyName)) unencrypted over http:// to \(host), across the"
                          + " network; use https://, or http:// only for a server on this machine (127.0.0.1, ::1, localhost)",
                          at: location)
        }
        guard case .manifest = source, !loopback, !(scheme == "https" && isOfficial(url, host: host)) else { return nil }
        let allowed = (environment[consentVariable] ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).map { normalized(String($0)) }
        if allowed.contains(normalized(url)) { return nil }
        return .error("provider.base_url would send your API key (\(keyName)) to \(host), which is not Volcengine Ark's"
                      + " (\(officialHosts.sorted().joined(separator: ", "))); a manifest cannot choose that on its own",
                      at: location,
                      notes: ["if you trust this server, allow it from outside the repository: "
                              + "\(consentVariable)=\(url) assetbuild build (or export \(consentVariable)=\(url))",
                              "or choose the server yourself: ARK_BASE_URL=\(url) assetbuild build"])
    }

    /// The host of an `http(s)://` URL, when the URL is plain enough that every client reads the
    /// same host from it: no user name, no percent-escapes, backslashes, spaces or controls.
    package static func host(of url: String) -> String? {
        guard url.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" }),
              let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(), scheme == "https" || scheme == "http",
              c.user == nil, c.password == nil, var host = c.host, !host.isEmpty,
              !(c.percentEncodedHost ?? "%").contains("%") else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.lowercased()
    }

    package static func isOfficial(_ url: String, host: String) -> Bool {
        guard officialHosts.contains(host), let c = URLComponents(string: url) else { return false }
        return c.port == nil || c.port == 443
    }

    /// `localhost`, 127.0.0.0/8, `::1`, or an IPv4-mapped loopback address.
    package static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "localhost." { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
        return bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF && bytes[12] == 127
    }

    package static func normalized(_ url: String) -> String {
        var u = url
        while u.hasSuffix("/") { u.removeLast() }
        return u
    }
}
