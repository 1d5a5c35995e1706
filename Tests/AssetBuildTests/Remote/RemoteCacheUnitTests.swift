import Foundation
import Testing
@testable import AssetBuildCore

/// The remote cache's URL, configuration and record format, without a server.
@Suite("Remote cache: URLs, configuration and records")
struct RemoteCacheUnitTests {
    @Test("URLs: Bazel HTTP and S3, credentials only where allowed, mistakes explained")
    func urls() throws {
        func ok(_ s: String, userinfo: Bool = false) throws -> RemoteCacheLocation { try RemoteCacheLocation.parse(s, allowUserinfo: userinfo).get() }
        func error(_ s: String, userinfo: Bool = false) -> String? {
            if case .failure(let e) = RemoteCacheLocation.parse(s, allowUserinfo: userinfo) { return e.message }
            return nil
        }
        #expect(try ok("https://cache.example.com/team/").kind == .http(base: "https://cache.example.com/team"))
        #expect(try ok("s3://team-assets/cache/v1").kind == .s3(bucket: "team-assets", prefix: "cache/v1"))
        #expect(try ok("s3://team-assets").kind == .s3(bucket: "team-assets", prefix: ""))
        let secret = try ok("https://ci:s3cr%40t@cache.example.com/x", userinfo: true)
        #expect(secret.userinfo == "ci:s3cr@t")
        #expect(secret.description == "https://cache.example.com/x")
        #expect(error("https://ci:pw@cache.example.com")?.hasPrefix("credentials must not be in the manifest") == true)
        #expect(error("cache.example.com/bazel") == "a remote cache is an https://, http:// or s3:// URL; did you mean 'https://cache.example.com/bazel'?")
        #expect(error("team-assets/cache") == "a remote cache is an https://, http:// or s3:// URL; did you mean 's3://team-assets/cache'?")
        #expect(error("htps://cache.example.com")?.hasSuffix("did you mean 'https://cache.example.com'?") == true)
        #expect(error("s3://Team_Assets")?.contains("is not an S3 bucket name") == true)
        #expect(error("https://cache.example.com/a//b")?.contains("empty, '.' or '..' part") == true)
        #expect(error("https://cache.example.com/?x=1")?.contains("no query") == true)
    }

    @Test("the environment overrides the manifest, turns the remote off, and supplies credentials")
    func environment() throws {
        var settings = CacheSettings()
        settings.remote = try RemoteCacheLocation.parse("https://manifest.example.com", allowUserinfo: false).get()
        let transport = CurlTransport()
        defer { transport.shutdown() }
        func setup(_ env: [String: String], upload: Bool = false) throws -> RemoteCacheSetup {
            try RemoteCacheSetup.resolve(settings, environment: env, upload: upload, disabled: false, transport: transport)
        }
        #expect(try setup([:]).remote?.displayURL == "https://manifest.example.com")
        #expect(try setup([:]).remote?.uploads == false)
        #expect(try setup(["ASSETBUILD_REMOTE_UPLOAD": "1"]).remote?.uploads == true)
        #expect(try setup([:], upload: true).remote?.uploads == true)
        #expect(try setup(["ASSETBUILD_REMOTE_CACHE": ""]).remote == nil)
        #expect(try RemoteCacheSetup.resolve(settings, environment: [:], upload: false, disabled: true, transport: transport).remote == nil)
        let ci = try setup(["ASSETBUILD_REMOTE_CACHE": "https://u:p@ci.example.com/c"])
        #expect(ci.remote?.displayURL == "https://ci.example.com/c")
        let store = try #require(ci.remote?.store as? BazelHTTPStore)
        #expect(store.http.headers.map(\.value) == ["Basic " + Data("u:p".utf8).base64EncodedString()])
        // S3 without credentials: a warning, and no remote (never worse than local).
        let s3 = try setup(["ASSETBUILD_REMOTE_CACHE": "s3://team-assets/c"])
        #expect(s3.remote == nil && s3.warnings.first?.contains("AWS_ACCESS_KEY_ID") == true)
        let r2 = try setup(["ASSETBUILD_REMOTE_CACHE": "s3://team-assets/c", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "SECRET-never-shown",
                            "AWS_ENDPOINT_URL": "https://acct.r2.cloudflarestorage.com/", "AWS_REGION": "auto"])
        let s3Store = try #require(r2.remote?.store as? S3Store)
        #expect(s3Store.url(.ac("k1")) == "https://acct.r2.cloudflarestorage.com/team-assets/c/ac/k1")
        let signing = try #require(s3Store.http.signing)
        #expect(!"\(signing)".contains("SECRET"))   // the secret is never in a description
        #expect(throws: DiagnosticsError.self) { try setup(["ASSETBUILD_REMOTE_CACHE": "ftp://x"]) }
    }

    @Test("a record is refused for a wrong key, a newer version, an incomplete status or an impossible output")
    func recordRefusals() throws {
        let jpeg = try JPEGCodec.encode(RGBImage(width: 8, height: 6, color: RGBColor(1, 2, 3)))
        let dir = try TestDirectory("remote-record")
        let cache = try BuildCache.open(directory: URL(fileURLWithPath: dir.url("cache")))
        let id = try cache.objects.put(jpeg)
        try cache.beginAction(key: "k", target: "t", componentsJSON: "{}")
        try cache.recordImage(actionKey: "k", image: ActionImage(index: 0, object: id, width: 8, height: 6, byteCount: jpeg.count))
        try cache.recordRequest(actionKey: "k", requestID: "r1", usage: nil, model: "m")
        try cache.finishAction(key: "k", status: .complete)
        let action = try #require(try cache.actions(forKeys: ["k"])["k"])
        let record = RemoteActionRecord(action, formats: [0: "jpeg"])
        let data = try record.encoded()
        // Dates travel as ISO 8601 seconds: what is read back encodes to the same bytes.
        #expect(try RemoteActionRecord.decode(data, key: "k").encoded() == data)
        try record.verify(jpeg, for: record.outputs[0])
        func refusal(_ body: () throws -> Void) -> String {
            do { try body() } catch let r as RemoteActionRecord.Refusal { return r.message } catch { return "\(error)" }
            return "accepted"
        }
        func edited(_ change: (inout [String: Any]) -> Void) throws -> Data {
            var o = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            change(&o)
            return try JSONSerialization.data(withJSONObject: o)
        }
        #expect(refusal { _ = try RemoteActionRecord.decode(data, key: "other") }.contains("not this key"))
        #expect(refusal { _ = try RemoteActionRecord.decode(try edited { $0["version"] = 2 }, key: "k") }.contains("upgrade assetbuild"))
        #expect(refusal { _ = try RemoteActionRecord.decode(try edited { $0["status"] = "partial" }, key: "k") }.contains("not complete"))
        #expect(refusal { _ = try RemoteActionRecord.decode(Data("[]".utf8), key: "k") }.contains("not valid JSON"))
        #expect(refusal { try record.verify(jpeg + Data([0]), for: record.outputs[0]) }.contains("the record says \(jpeg.count)"))
        var lie = jpeg
        lie[lie.count - 3] ^= 1
        #expect(refusal { try record.verify(lie, for: record.outputs[0]) }.contains("forged or damaged"))
        let other = RemoteActionRecord.Output(index: 0, sha256: id.hex, format: "png", width: 8, height: 6, bytes: jpeg.count)
        #expect(refusal { try record.verify(jpeg, for: other) }.contains("the record says png of 8x6"))
        // A newer reader's fields beside these are ignored.
        #expect(try RemoteActionRecord.decode(try edited { $0["takes"] = [["take": 1]] }, key: "k").encoded() == data)
    }
}
