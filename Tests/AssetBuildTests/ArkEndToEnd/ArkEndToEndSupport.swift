import FakeArk
import Foundation
import Testing
@testable import AssetBuildCore

/// One end-to-end scene: a temporary directory holding a manifest, a fake Ark server of its own
/// on loopback, and the real `assetbuild` binary pointed at it through `ARK_API_KEY` and
/// `ARK_BASE_URL`. Every test makes its own, so tests stay independent and run in parallel.
struct ArkScene {
    let ws: CLIWorkspace
    let fake: FakeArkServer

    var dir: TestDirectory { ws.dir }
    var key: String { fake.behavior.apiKey }

    /// The environment that points the binary at the fake (`key` replaces the right key).
    func environment(key: String? = nil) -> [String: String] {
        ["ARK_API_KEY": key ?? self.key, "ARK_BASE_URL": fake.baseURL]
    }

    /// `assetbuild ARGS` against the fake.
    func run(_ args: [String], key: String? = nil) async throws -> CLIResult {
        try await ws.run(args, environment: environment(key: key))
    }

    /// `assetbuild build --provider ark ARGS`.
    func build(_ args: [String] = [], key: String? = nil) async throws -> CLIResult {
        try await run(["build", "--provider", "ark"] + args, key: key)
    }

    /// `build --json` that must succeed.
    @discardableResult
    func buildOK(_ args: [String] = [], sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws -> CLIResult {
        let r = try await build(["--json"] + args)
        #expect(r.status == 0, "\(r)", sourceLocation: sourceLocation)
        return r
    }

    func writeManifest(_ yaml: String) throws { try dir.write(yaml, to: "assetbuild.yaml") }

    /// Writes a small PNG (a coloured square with a white mark, so each colour gives other bytes)
    /// and returns its bytes.
    @discardableResult
    func writePNG(_ path: String, width: Int = 64, height: Int = 64, colour: Int = 0) throws -> Data {
        var image = RGBImage(width: width, height: height,
                             color: RGBColor(UInt8(truncatingIfNeeded: 30 + 17 * colour), 120, UInt8(truncatingIfNeeded: 200 - 9 * colour)))
        image.fillRect(PixelRect(x: 4, y: 4, width: width / 3, height: height / 3), color: .white)
        let data = try PNGCodec.encode(image)
        try dir.write(data, to: path)
        return data
    }

    @discardableResult
    func writeJPEG(_ path: String, width: Int = 64, height: Int = 48) throws -> Data {
        var image = RGBImage(width: width, height: height, color: RGBColor(200, 90, 40))
        image.fillRect(PixelRect(x: 2, y: 2, width: 10, height: 10), color: .black)
        let data = try JPEGCodec.encode(image)
        try dir.write(data, to: path)
        return data
    }

    /// `build/assetbuild.json` as plain JSON: the contract is the file format.
    func record() throws -> [String: [String: Any]] {
        let json = try JSONSerialization.jsonObject(with: try dir.read("build/assetbuild.json")) as? [String: Any]
        return try #require(json?["targets"] as? [String: [String: Any]])
    }

    /// Width and height from a file's own header.
    func pixels(_ path: String) throws -> (width: Int, height: Int) {
        let info = try ImageProbe.probe(try dir.read(path))
        return (info.width, info.height)
    }

    /// The JSON bodies of the generation requests, in arrival order.
    var generationBodies: [ArkJSON] { fake.generationRequests.compactMap(\.json) }
}

/// Starts a fake with `configure`d knobs, writes `manifest`, runs `body`, and stops the fake
/// (also when `body` throws).
func withArk(_ manifest: String, _ configure: (inout FakeArkBehavior) -> Void = { _ in },
             _ body: (ArkScene) async throws -> Void) async throws {
    var behavior = FakeArkBehavior()
    behavior.apiKey = "ark-e2e-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    configure(&behavior)
    let fake = try await FakeArkServer.start(behavior)
    let scene: ArkScene
    do {
        scene = ArkScene(ws: try CLIWorkspace(manifest: manifest), fake: fake)
    } catch {
        await fake.stop()
        throw error
    }
    do { try await body(scene) } catch { await fake.stop(); throw error }
    await fake.stop()
}

extension ArkJSON {
    /// The keys of an object, sorted; empty for anything else.
    var keys: [String] { object?.keys.sorted() ?? [] }

    /// True when a `null` appears anywhere inside (the subscript hides them; this does not).
    var containsNull: Bool {
        switch self {
        case .null: return true
        case .array(let a): return a.contains { $0.containsNull }
        case .object(let o): return o.values.contains { $0.containsNull }
        default: return false
        }
    }
}

/// The bytes of a `data:image/<fmt>;base64,<b64>` URI, with its declared format.
func decodeDataURI(_ uri: String) -> (format: String, bytes: Data)? {
    guard uri.hasPrefix("data:image/"), let comma = uri.firstIndex(of: ","),
          case let header = uri[uri.index(uri.startIndex, offsetBy: "data:image/".count)..<comma],
          header.hasSuffix(";base64"),
          let bytes = Data(base64Encoded: String(uri[uri.index(after: comma)...])) else { return nil }
    return (String(header.dropLast(";base64".count)), bytes)
}
