import Foundation
import AssetBuildSupport
import AssetBuildManifest

/// The remote cache a run uses, from the manifest's `cache:` and the environment, which overrides
/// it (CI keeps its URL and credentials in secrets):
///
/// - `ASSETBUILD_REMOTE_CACHE`: the URL (`https://…`, `s3://bucket/prefix`); empty turns the
///   remote off. It may carry `user:password@` (used as basic auth, never printed).
/// - `ASSETBUILD_REMOTE_UPLOAD=1` (or `--upload`): upload paid results.
/// - Bazel HTTP: `ASSETBUILD_REMOTE_BEARER_TOKEN`, or `ASSETBUILD_REMOTE_BASIC_AUTH=user:password`.
/// - S3: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`; `AWS_ENDPOINT_URL_S3`
///   or `AWS_ENDPOINT_URL`, and `AWS_REGION` or `AWS_DEFAULT_REGION`, over `cache.endpoint` and
///   `cache.region`.
///
/// Credentials come from the environment only and appear in no message, record or key.
package struct RemoteCacheSetup: Sendable {
    package var remote: RemoteCache?
    /// Said before the build: the remote is configured but cannot be used (no credentials).
    package var warnings: [String] = []

    package static let urlVariable = "ASSETBUILD_REMOTE_CACHE"
    package static let uploadVariable = "ASSETBUILD_REMOTE_UPLOAD"

    /// Throws a diagnostic (exit 2) for a malformed `ASSETBUILD_REMOTE_CACHE`.
    package static func resolve(_ settings: CacheSettings, environment env: [String: String], upload: Bool, disabled: Bool,
                                transport: @autoclosure () -> any HTTPTransport,
                                timeouts: RemoteTimeouts = RemoteTimeouts()) throws(DiagnosticsError) -> RemoteCacheSetup {
        if disabled { return RemoteCacheSetup() }
        var location = settings.remote
        if let text = env[urlVariable] {
            if text.trimmingCharacters(in: .whitespaces).isEmpty { return RemoteCacheSetup() }
            switch RemoteCacheLocation.parse(text, allowUserinfo: true) {
            case .success(let l): location = l
            case .failure(let e): throw DiagnosticsError([.error("\(urlVariable): \(e.message)", at: nil)])
            }
        }
        guard let location else { return RemoteCacheSetup() }
        let uploads = upload || ["1", "true", "yes"].contains((env[uploadVariable] ?? "").lowercased())
        func value(_ names: String...) -> String? { names.lazy.compactMap { env[$0] }.first { !$0.isEmpty } }
        switch location.kind {
        case .http(let base):
            var authorization: String?
            if let token = value("ASSETBUILD_REMOTE_BEARER_TOKEN") {
                authorization = "Bearer \(token)"
            } else if let basic = value("ASSETBUILD_REMOTE_BASIC_AUTH") ?? location.userinfo {
                authorization = "Basic \(Data(basic.utf8).base64EncodedString())"
            }
            let store = BazelHTTPStore(base: base, transport: transport(), authorization: authorization, timeouts: timeouts)
            return RemoteCacheSetup(remote: RemoteCache(store: store, uploads: uploads))
        case .s3(let bucket, let prefix):
            guard let key = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") else {
                return RemoteCacheSetup(warnings: ["the remote cache \(location) is not used: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                                                   + "to read it (or \(urlVariable)= to turn it off and silence this)"])
            }
            let region = value("AWS_REGION", "AWS_DEFAULT_REGION") ?? settings.region ?? "us-east-1"
            var endpoint = value("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL") ?? settings.endpoint
            while endpoint?.hasSuffix("/") == true { endpoint?.removeLast() }
            let signing = AWSSigV4(region: region, accessKeyID: key, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
            let store = S3Store(bucket: bucket, prefix: prefix, endpoint: endpoint, region: region, signing: signing,
                                transport: transport(), timeouts: timeouts)
            return RemoteCacheSetup(remote: RemoteCache(store: store, uploads: uploads))
        }
    }
}
