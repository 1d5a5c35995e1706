import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest

/// Stands in for a provider that cannot be used (no API key): `plan` and `status` still work, and a
/// build that needs a request stops before sending anything, saying what to do.
public struct UnavailableProvider: ImageProvider, TextProvider {
    public let name: String
    public let reason: String

    public func generate(_ request: ImageRequest, into sink: any ImageSink) async throws -> GenerationSummary {
        throw ProviderError(.missingCredentials, target: request.target, message: reason)
    }

    public func complete(_ request: TextRequest) async throws -> TextCompletion {
        throw ProviderError(.missingCredentials, target: request.target, message: reason)
    }
}

public enum ProviderFactory {
    /// The provider a build uses: `--provider` wins over `provider.name`.
    public static func choose(_ settings: ProviderSettings, override: ProviderName?) -> ProviderName {
        override ?? settings.name
    }

    /// Makes the image and text providers. The key is read from the environment variable the
    /// manifest names (never from the manifest); `ARK_BASE_URL` overrides `provider.base_url`; the
    /// key goes only where `KeyDestination` allows.
    public static func make(_ settings: ProviderSettings, override: ProviderName?,
                            environment: [String: String]) -> (images: any ImageProvider, text: any TextProvider) {
        switch choose(settings, override: override) {
        case .draft:
            let draft = DraftProvider()
            return (draft, draft)
        case .ark:
            guard let key = environment[settings.apiKeyEnv], !key.trimmingCharacters(in: .whitespaces).isEmpty else {
                let missing = UnavailableProvider(
                    name: "ark",
                    reason: "no API key: the environment variable \(settings.apiKeyEnv) is not set; export it (export \(settings.apiKeyEnv)=…), or build offline drafts with --provider draft")
                return (missing, missing)
            }
            // `build` refuses first (exit 2, at base_url); this keeps any other path from sending too.
            if let refusal = KeyDestination.refusal(settings, environment: environment) {
                let refused = UnavailableProvider(name: "ark", reason: refusal.message)
                return (refused, refused)
            }
            let base = KeyDestination.resolve(settings, environment: environment).url
            let stall = Duration.seconds(stallTimeoutSeconds(settings, environment: environment))
            let transport = CurlTransport(configuration: CurlTransport.configuration(environment: environment))
            let client = ArkClient(baseURL: base, apiKey: key, transport: transport,
                                   timeouts: ArkClient.Timeouts(generationStall: stall))
            return (client, client)
        }
    }

    /// `provider.stall_timeout`, unless `ASSETBUILD_STALL_TIMEOUT` (seconds, at least 1) says
    /// otherwise: a machine on a slow link can raise it without editing the manifest, and tests
    /// lower it to reach a timeout without waiting minutes.
    package static func stallTimeoutSeconds(_ settings: ProviderSettings, environment: [String: String]) -> Double {
        guard let text = environment["ASSETBUILD_STALL_TIMEOUT"], let seconds = Double(text),
              seconds.isFinite, seconds >= 1 else { return settings.stallTimeoutSeconds }
        return min(seconds, 86_400)
    }
}
