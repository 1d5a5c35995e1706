import Foundation
import Testing
@testable import AssetBuildCore

/// The action keys and request bodies of representative targets, as assetbuild computed them
/// before the option table: every option set, defaults, references of each kind, an endpoint,
/// text targets and a storybook. A changed key would make users pay again for every cached image;
/// a changed body would ask the service for something else.
@Suite struct ActionKeyPinTests {
    static let manifest = """
    version: 1
    provider:
      endpoints:
        ep-20250101-abcde: doubao-seedream-4-0-250828
    targets:
      all45:
        model: doubao-seedream-4-5-251128
        prompt: "A fox in a \\"red\\" scarf / 狐狸"
        size: 2560x1440
        images: 3
        min_images: 2
        watermark: false
        optimize_prompt: standard
        stream: true
        response_format: url
        references: [{url: "https://example.com/x.png"}, mascot]
      mascot:
        prompt: A mascot
      fast40:
        model: doubao-seedream-4-0-250828
        prompt: A banner
        size: 1k
        optimize_prompt: fast
      group40:
        model: ep-20250101-abcde
        prompt: Four poses
        images: 4
        output: "poses/{n}.jpeg"
      t2i:
        model: doubao-seedream-3-0-t2i-250415
        prompt: A lighthouse
        size: 1280x720
        seed: 42
        guidance_scale: 2.5
      edit:
        model: doubao-seededit-3-0-i2i-250628
        prompt: Make it night
        references: ["group40[2]"]
        seed: -1
        guidance_scale: 5
      story:
        kind: text
        system: "Be brief."
        prompt: "Name for ${mascot_name}"
        schema: {type: object, properties: {name: {type: string}}}
        thinking: disabled
        temperature: 0.7
        max_tokens: 1000
      plain:
        kind: text
        model: doubao-seed-1-6-lite-251015
        prompt: Say hi
        response_format: text
      book:
        storybook:
          request: A bunny who shares
          scenes: 5
          watermark: false
    vars:
      mascot_name: Pip
    """

    static let story = #"{"title":"Pip","summary":"s","scenes":["a","b","c","d","e"],"scenes_detail":["P1","P2","P3","P4","P5"]}"#

    static func object(_ n: Int) -> ObjectID { ObjectID(hex: String(repeating: String(n % 10), count: 64))! }

    static func upstream(_ name: String) -> TargetOutput? {
        switch name {
        case "book.story": return TargetOutput(actionKey: "k", images: [], text: story)
        case "book.pictures":
            return TargetOutput(actionKey: "k", images: (0..<5).map { ActionImage(index: $0, object: object($0), width: 1, height: 1, byteCount: 1) },
                                failures: [ImageFailure(index: 5, code: "OutputImageSensitiveContentDetected", message: "no")])
        default:
            return TargetOutput(actionKey: "k", images: (0..<4).map { ActionImage(index: $0, object: object($0 + 5), width: 2048, height: 2048, byteCount: 1) })
        }
    }

    static func fingerprints() throws -> [String: (Target, ResolvedAction)] {
        let m = try ManifestLoader.parse(text: manifest, file: "assetbuild.yaml", path: "/m/assetbuild.yaml", directory: "/m")
        let fp = Fingerprinter(provider: "ark", directory: "/m", inputs: InputFiles(memo: [:]))
        var out: [String: (Target, ResolvedAction)] = [:]
        for t in m.targets {
            out[t.name] = (t, try #require(try fp.fingerprint(ActionRegistry.standard.action(for: t), upstream: upstream)))
        }
        return out
    }

    static let keys = [
        "all45": "019a3cd0d9a41c0eede393628e811d595509a040eaf8ff8af3b075b42b1db841",
        "book": "c313274ec7c4202baa9d4cafd35d15aa5e9f273d0947cbab14c0af777987dd69", // book key format 2 (own components)
        "book.pictures": "19c7b1f7e347d3bc1d7c81b1949385f23c3259bb596c3aff17e02c3363379ab0",
        "book.story": "1000d2ce672e0bfd81b87ada512a99832bb1fd29bae7d2b3b84e7cd021d6789c",
        "edit": "765eda63cc4b69f228733dfe8805f82792141c10f70dda44d6423f768a43e92a",
        "fast40": "455b48eae014bcd46fa2fec420d7f6c3200a4a38b3ef07e0a959e9ad56d491f0",
        "group40": "441c8904c1232f72bd91ebb691242233186e95874c585c799fc832f73aeb02fb",
        "mascot": "82847fc1c463b7ae8e644ee8e14b1d1c14458ce4a2235df8b5c8380fbf20b0dd",
        "plain": "2b56b61992d446d67e347789c3c39ded6190a62a483e0ad5ccb9a5bfbe50bb53",
        "story": "604b27bca02f41f74b984b2186bf6868146fda15f60a13426ab22f6a0f198703",
        "t2i": "4ca9970cba8e72251ddba3ab91dcf808ad57c6c5373ab94464625f8b38d697cc",
    ]

    @Test func keys_stay_the_same() throws {
        let fps = try Self.fingerprints()
        #expect(Set(fps.keys) == Set(Self.keys.keys))
        for (name, (_, resolved)) in fps.sorted(by: { $0.key < $1.key }) {
            let fp = resolved.fingerprint
            #expect(fp.key == Self.keys[name], "\(name): \(fp.components.canonicalJSON)")
            if let c = fp.components as? ActionKeyComponents { #expect(c.canonicalJSON == c.encodedCanonicalJSON) }
        }
    }

    /// The request each target sends, built as the action runner builds it; references are
    /// stand-in bytes (or the URL).
    static func body(_ target: Target, _ resolved: ResolvedAction) throws -> String {
        if let action = ImageAction(target) {
            let inputs = try resolved.inputs(as: ImageAction.Inputs.self, target: target.name)
            let refs: [ReferenceInput] = inputs.references.map {
                if case .url(let u) = $0.source { return .url(u) }
                return .bytes(Data($0.label.utf8), format: "png")
            }
            let request = action.request(prompt: inputs.prompt, references: refs, labels: inputs.references.map(\.label),
                                         maxImages: inputs.images > 1 ? inputs.images : 1)
            return (request.stream ? "stream " : "") + String(decoding: ArkWire.imageBody(request).encoded(), as: UTF8.self)
        }
        if let action = TextAction(target) {
            let inputs = try resolved.inputs(as: TextAction.Inputs.self, target: target.name)
            let request = action.request(prompt: inputs.prompt, system: inputs.system)
            return String(decoding: ArkWire.chatBody(request)?.encoded() ?? Data(), as: UTF8.self)
        }
        return ""
    }

    /// SHA-256 of each body (with "stream " in front of a streamed one): a failure prints the body.
    static let bodies = [
        "all45": "afaa592fbaa2a70ad83a1bb22fd7dc1eb8276249b42cef4ddf9998d15203f1c7",
        "mascot": "b87644bb4c93889f1f2a2616655951db62833a8ebc655c770bc393fb8def90f4",
        "fast40": "20f697dd83b80493f66692c87f02ffce4785670180bad2c32d79ce1cf60473c7",
        "group40": "39045e7a7f794fd9bbf59b3f84346df8f5e2576970010da03a5e26ff82aee394",
        "t2i": "2fd83e4f6a9df3d1fa057343321e5a5333092face01000aaa952e3604f5c2bfd",
        "edit": "e734d5cbf72a50774f69a028a177263d1d8029edc70aee9d5ea79ced4afd2ee0",
        "story": "00ecc1e3ee1d3b3a792bcc88159a06ab7757f38ae4e98bcb9f4d5006dd352635",
        "plain": "e5b0043b0ce901a9acaba2c309c98b71a7a59326e3045f7c94638c5fe4e58c93",
        "book.story": "aebddfe7d6df93442fec3a949080800d27549fb62798d7f5cf0cbdfe29c02f3c",
        "book.pictures": "2f9bdc03fae9e4f8411666f8e8b63fde3ffb090f22e437cc366369019e73eb1d",
    ]

    @Test func request_bodies_stay_the_same() throws {
        let m = try ManifestLoader.parse(text: Self.manifest, file: "assetbuild.yaml", path: "/m/assetbuild.yaml", directory: "/m")
        let fps = try Self.fingerprints()
        for t in m.targets where t.book == nil {
            let body = try Self.body(t, try #require(fps[t.name]).1)
            #expect(SHA256.hash(body).hex == Self.bodies[t.name], "\(t.name): \(body)")
        }
    }
}
