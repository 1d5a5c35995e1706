import FakeArk
import Foundation
import Testing
@testable import AssetBuildCore

/// The manifest does not decide where the key goes (`KeyDestination`): https, or http only to
/// this machine; a manifest's own server needs the user's consent from outside the repository.
@Suite("Where the API key may go")
struct ArkEndToEndKeyDestinationTests {
    static func manifest(baseURL: String) -> String {
        """
        version: 1
        provider:
          base_url: \(baseURL)
        targets:
          fox:
            model: doubao-seedream-4-0-250828
            prompt: "A fox"

        """
    }

    @Test("the rules: https anywhere the user chose, http only to loopback, a manifest's foreign host only with consent")
    func rules() {
        func refusal(_ url: String?, manifest: Bool = true, env: [String: String] = [:]) -> String? {
            var settings = ProviderSettings()
            var environment = env
            if let url {
                if manifest {
                    settings.baseURL = url
                    settings.baseURLLocation = SourceLocation(file: "assetbuild.yaml", line: 3, column: 13)
                } else {
                    environment["ARK_BASE_URL"] = url
                }
            }
            return KeyDestination.refusal(settings, environment: environment)?.message
        }
        // Nobody chose: Ark's own host.
        #expect(refusal(nil) == nil)
        // The vendor's host, from a manifest, with or without the default port.
        #expect(refusal("https://ark.cn-beijing.volces.com/api/v3") == nil)
        #expect(refusal("https://ARK.cn-beijing.volces.com:443/api/v3") == nil)
        // A server on this machine: no consent needed, http or https.
        for url in ["http://127.0.0.1:8080/api/v3", "http://localhost:9/api/v3", "http://[::1]:8080/api/v3", "http://127.9.9.9/x",
                    "https://localhost/api/v3"] {
            #expect(refusal(url) == nil, "\(url)")
        }
        // Another host from the manifest: refused unless allowed, exactly that URL (a trailing / aside).
        let gateway = "https://gateway.example.com/api/v3"
        #expect(refusal(gateway)?.contains("a manifest cannot choose that on its own") == true)
        #expect(refusal(gateway, env: ["ASSETBUILD_ALLOW_BASE_URL": gateway + "/"]) == nil)
        #expect(refusal(gateway, env: ["ASSETBUILD_ALLOW_BASE_URL": "https://other.example.com, " + gateway]) == nil)
        #expect(refusal(gateway, env: ["ASSETBUILD_ALLOW_BASE_URL": "https://gateway.example.com"]) != nil)
        // The vendor's host on another port, or over http, is not the vendor's service.
        #expect(refusal("https://ark.cn-beijing.volces.com:8443/api/v3") != nil)
        // ARK_BASE_URL is the user's own choice: any https host.
        #expect(refusal(gateway, manifest: false) == nil)
        // Clear text across the network: never, whoever chose it, whatever consent says.
        for url in ["http://ark.cn-beijing.volces.com/api/v3", "http://10.0.0.1/api/v3", "http://127.0.0.1.nip.io/api/v3",
                    "http://localhost.example.com/api/v3"] {
            #expect(refusal(url, env: ["ASSETBUILD_ALLOW_BASE_URL": url])?.contains("unencrypted over http://") == true, "\(url)")
            #expect(refusal(url, manifest: false)?.contains("unencrypted over http://") == true, "\(url)")
        }
        // URLs that clients may read two ways are refused outright.
        for url in ["http://127.0.0.1@evil.example.com/", "http://user:pw@127.0.0.1/", "http://127.0.0.1%2e/", "http://[::1]\\@x/"] {
            #expect(refusal(url)?.contains("is not a URL the API key can be sent to") == true, "\(url)")
        }
    }

    @Test("a manifest's foreign base_url: exit 2 at base_url before anything is sent, saying how to allow it; allowed, it goes ahead")
    func foreignHostNeedsConsent() async throws {
        let url = "https://gateway.example.com/api/v3"
        let ws = try CLIWorkspace(manifest: Self.manifest(baseURL: url))
        let refused = try await ws.run(["build", "--provider", "ark"], environment: ["ARK_API_KEY": "ark-dest-key"])
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr == """
            assetbuild.yaml:3:13: error: provider.base_url would send your API key (ARK_API_KEY) to gateway.example.com, \
            which is not Volcengine Ark's (ark.cn-beijing.volces.com); a manifest cannot choose that on its own
              base_url: https://gateway.example.com/api/v3
                        ^
            note: if you trust this server, allow it from outside the repository: \
            ASSETBUILD_ALLOW_BASE_URL=https://gateway.example.com/api/v3 assetbuild build \
            (or export ASSETBUILD_ALLOW_BASE_URL=https://gateway.example.com/api/v3)
            note: or choose the server yourself: ARK_BASE_URL=https://gateway.example.com/api/v3 assetbuild build

            """, "\(refused)")
        // -n sends nothing either way: with consent the plan goes ahead.
        let allowed = try await ws.run(["build", "-n", "--provider", "ark"],
                                       environment: ["ARK_API_KEY": "ark-dest-key", "ASSETBUILD_ALLOW_BASE_URL": url])
        #expect(allowed.status == 0, "\(allowed)")
        // The offline provider sends no key: nothing to refuse.
        let draft = try await ws.run(["build", "--provider", "draft"])
        #expect(draft.status == 0, "\(draft)")
    }

    @Test("plain http across the network is refused, from the manifest (at base_url) and from ARK_BASE_URL")
    func clearTextIsRefused() async throws {
        let ws = try CLIWorkspace(manifest: Self.manifest(baseURL: "http://ark.example.com/api/v3"))
        let fromManifest = try await ws.run(["build", "--provider", "ark"],
                                            environment: ["ARK_API_KEY": "ark-dest-key", "ASSETBUILD_ALLOW_BASE_URL": "http://ark.example.com/api/v3"])
        #expect(fromManifest.status == 2, "\(fromManifest)")
        #expect(fromManifest.stderr.hasPrefix("assetbuild.yaml:3:13: error: provider.base_url would send the API key (ARK_API_KEY)"
                                              + " unencrypted over http:// to ark.example.com"), "\(fromManifest)")
        let fromEnvironment = try await ws.run(["build", "--provider", "ark"],
                                               environment: ["ARK_API_KEY": "ark-dest-key", "ARK_BASE_URL": "http://10.1.2.3:8080/api/v3"])
        #expect(fromEnvironment.status == 2, "\(fromEnvironment)")
        #expect(fromEnvironment.stderr.hasPrefix("error: ARK_BASE_URL would send the API key (ARK_API_KEY) unencrypted over http://"
                                                 + " to 10.1.2.3"), "\(fromEnvironment)")
    }

    @Test("a manifest pointing at a server on this machine (the fake, over http) builds without consent")
    func loopbackFromTheManifest() async throws {
        var behavior = FakeArkBehavior()
        behavior.apiKey = "ark-dest-" + UUID().uuidString
        let fake = try await FakeArkServer.start(behavior)
        do {
            let ws = try CLIWorkspace(manifest: Self.manifest(baseURL: fake.baseURL))
            let r = try await ws.run(["build", "--provider", "ark"], environment: ["ARK_API_KEY": behavior.apiKey])
            #expect(r.status == 0, "\(r)")
            #expect(fake.generationRequests.count == 1)
        } catch {
            await fake.stop()
            throw error
        }
        await fake.stop()
    }
}
