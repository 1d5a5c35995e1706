import FakeArk
import Foundation
import Testing
@testable import AssetBuildCore

/// The real binary against the fake Ark server across several builds: what is sent again (and
/// what is not), where the API key may go, and text targets feeding image targets.
@Suite("Ark end to end: rebuilds, secrets and text targets")
struct ArkEndToEndBuildTests {
    @Test("a no-op rebuild sends nothing; one edited prompt sends one request, plus its dependent's")
    func incrementalRequests() async throws {
        let manifest = """
        version: 1
        defaults: {model: doubao-seedream-4-0-250828, size: 1K}
        targets:
          a:
            prompt: "A fox sitting, flat vector"
          b:
            prompt: "The fox from image 1 wearing a hat"
            references: [a]
          c:
            prompt: "A lone tree on a hill"

        """
        try await withArk(manifest) { s in
            try await s.buildOK()
            #expect(s.fake.requests.count == 3)
            // Every request carries its own client request id.
            #expect(Set(s.fake.requests.compactMap { $0.header("X-Client-Request-Id") }).count == 3)
            let aFirst = try s.dir.read("build/a.jpeg")

            // Nothing changed: nothing sent, nothing written.
            let stamps = s.ws.writeStamps()
            let noop = try await s.buildOK()
            #expect(s.fake.requests.count == 3)
            #expect(try noop.summary("requests") == 0 && noop.startedTargets().isEmpty)
            #expect(s.ws.writeStamps() == stamps)

            // A leaf's prompt: exactly its own request.
            s.fake.clearRequests()
            try s.dir.edit("assetbuild.yaml", replacing: "A lone tree on a hill", with: "A lone tree by a lake")
            let leaf = try await s.buildOK()
            #expect(s.fake.requests.count == 1)
            #expect(s.generationBodies.map { $0["prompt"]?.string } == ["A lone tree by a lake"])
            #expect(try leaf.startedTargets() == ["c"])

            // The head of the chain, answered with other pixels: a, then b with a's new picture.
            s.fake.clearRequests()
            s.fake.configure { $0.jpegQuality = 60 }
            try s.dir.edit("assetbuild.yaml", replacing: "A fox sitting", with: "A fox running")
            let chain = try await s.buildOK()
            #expect(s.fake.requests.count == 2)
            #expect(s.generationBodies.map { $0["prompt"]?.string } == ["A fox running, flat vector", "The fox from image 1 wearing a hat"])
            #expect(try chain.startedTargets() == ["a", "b"])
            #expect(try chain.reasons(for: "b") == ["upstream 'a' rebuilt"])
            let aNew = try s.dir.read("build/a.jpeg")
            #expect(aNew != aFirst)
            #expect(s.generationBodies.last?["image"]?.string.flatMap(decodeDataURI)?.bytes == aNew)

            // The head of the chain answered with the very same bytes: early cutoff, b stays.
            s.fake.clearRequests()
            try s.dir.edit("assetbuild.yaml", replacing: "A fox running", with: "A fox jumping")
            let cutoff = try await s.buildOK()
            #expect(s.fake.requests.count == 1)
            #expect(try cutoff.startedTargets() == ["a"])
            #expect(try s.dir.read("build/a.jpeg") == aNew)

            // And a no-op again.
            s.fake.clearRequests()
            try await s.buildOK()
            #expect(s.fake.requests.isEmpty)
        }
    }

    @Test("the API key is in no file, no output and no --json event, also after a 401 and an error echoing it")
    func keyNeverLeaks() async throws {
        let manifest = """
        version: 1
        defaults: {model: doubao-seedream-4-0-250828, size: 1K}
        targets:
          story:
            kind: text
            prompt: "A one-scene story about a fox"
            response_format: json_object
          a:
            prompt: "A fox titled ${story.title}"
            response_format: url
          group:
            prompt: "Two images of the fox from image 1"
            references: [a, refs/fox.png]
            images: 2

        """
        try await withArk(manifest) { s in
            try s.writePNG("refs/fox.png")
            let wrong = "ark-e2e-wrong-" + UUID().uuidString
            var results: [CLIResult] = []

            // A wrong key: 401, plain and --json.
            results.append(try await s.build(key: wrong))
            results.append(try await s.build(["--json"], key: wrong))
            #expect(results.allSatisfy { $0.status == 1 }, "\(results)")

            // The right key, and a service whose error message echoes it.
            s.fake.enqueue(.status(401, code: "AuthenticationError", message: "The API key \(s.key) is invalid."))
            let echoed = try await s.build(["--json"])
            #expect(echoed.status == 1, "\(echoed)")
            #expect(echoed.stdout.contains("[redacted]"), "\(echoed)")
            results.append(echoed)

            // Then builds that work, and the other commands.
            results.append(try await s.buildOK())
            results.append(try await s.build())
            results.append(try await s.run(["status"]))
            results.append(try await s.run(["plan", "--provider", "ark"]))
            results.append(try await s.build(["-B", "--json", "--explain"]))
            #expect(results.suffix(5).allSatisfy { $0.status == 0 }, "\(results.suffix(5))")
            #expect(s.fake.generationRequests.count >= 4 && s.fake.chatRequests.count >= 2)

            for r in results {
                for secret in [s.key, wrong] {
                    #expect(!r.stdout.contains(secret) && !r.stderr.contains(secret), "\(r)")
                }
            }
            let files = s.dir.files()
            #expect(files.contains("assetbuild.lock") && files.contains(".assetbuild/cache.db"), "\(files)")
            #expect(files.contains { $0.hasPrefix(".assetbuild/objects/") }, "\(files)")
            #expect(files.contains("build/assetbuild.json") && files.contains("build/story.json"))
            for file in files {
                let bytes = try s.dir.read(file)
                for secret in [s.key, wrong] {
                    #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(secret) found in \(file)")
                }
            }
        }
    }

    @Test("a text target: chat completions with system and user messages and json_object; its field feeds an image prompt")
    func textTargetFeedsImagePrompt() async throws {
        let manifest = """
        version: 1
        targets:
          story:
            kind: text
            model: doubao-seed-1-6-250615
            system: "You write picture books for children. Answer in JSON."
            prompt: "A one-scene story about a brave fox"
            response_format: json_object
          cover:
            model: doubao-seedream-4-0-250828
            size: 1K
            prompt: "A book cover titled '${story.title}', flat vector"

        """
        let reply = #"{"title":"Pip the Brave Fox","summary":"a fox finds courage","scenes":["Pip meets the river"]}"#
        try await withArk(manifest, { $0.chatContent = reply }) { s in
            let r = try await s.buildOK()
            #expect(s.fake.chatRequests.count == 1 && s.fake.generationRequests.count == 1)
            let chatRequest = try #require(s.fake.chatRequests.first)
            #expect(chatRequest.path == "/api/v3/chat/completions")
            #expect(chatRequest.header("Authorization") == "Bearer \(s.key)")
            #expect(chatRequest.header("User-Agent") == "assetbuild/\(AssetBuildVersion.current)", "\(chatRequest.headers)")
            let chat = try #require(chatRequest.json)
            #expect(!chat.containsNull)
            #expect(chat["model"]?.string == "doubao-seed-1-6-250615")
            #expect(chat["response_format"] == ["type": "json_object"])
            let messages = try #require(chat["messages"]?.array)
            #expect(messages.count == 2)
            #expect(messages.first == ["role": "system", "content": "You write picture books for children. Answer in JSON."])
            #expect(messages.last == ["role": "user", "content": "A one-scene story about a brave fox"])

            // The reply is stored as it came; the image waited for it and got the field.
            let stored = try #require(ArkJSON.parse(try s.dir.read("build/story.json")))
            #expect(stored == ArkJSON.parse(Data(reply.utf8)))
            #expect(s.generationBodies.first?["prompt"]?.string == "A book cover titled 'Pip the Brave Fox', flat vector")
            let chatAt = chatRequest.receivedAt
            #expect(s.fake.generationRequests.allSatisfy { $0.receivedAt > chatAt })
            #expect(try r.startedTargets() == ["story", "cover"])
            let record = try s.record()
            #expect(record["story"]?["kind"] as? String == "text")
            #expect((record["story"]?["outputs"] as? [[String: Any]])?.first?["path"] as? String == "story.json")
            #expect(record["cover"]?["prompt"] as? String == "A book cover titled 'Pip the Brave Fox', flat vector")

            // A no-op rebuild asks neither model again.
            try await s.buildOK()
            #expect(s.fake.requests.count == 2)
        }
    }

    @Test("a JSON reply in a code fence is stored unfenced; a reply that is not JSON fails the target and feeds nothing")
    func textReplyShapes() async throws {
        let manifest = """
        version: 1
        targets:
          story:
            kind: text
            prompt: "A one-scene story about a brave fox, as JSON"
            response_format: json_object
          cover:
            model: doubao-seedream-4-0-250828
            size: 1K
            prompt: "A book cover titled '${story.title}'"

        """
        let reply = #"{"title":"Fenced Fox","scenes":["one"]}"#
        try await withArk(manifest, { $0.chatContent = reply; $0.chatWrapping = .codeFence }) { s in
            try await s.buildOK()
            #expect(ArkJSON.parse(try s.dir.read("build/story.json")) == ArkJSON.parse(Data(reply.utf8)))
            #expect(s.generationBodies.first?["prompt"]?.string == "A book cover titled 'Fenced Fox'")
        }
        try await withArk(manifest, { $0.chatContent = reply; $0.chatWrapping = .malformed }) { s in
            let r = try await s.build()
            #expect(r.status == 1, "\(r)")
            #expect(s.fake.chatRequests.count == 1, "a reply that is not JSON is not paid for twice")
            #expect(s.fake.generationRequests.isEmpty)
            #expect(r.stderr.contains("story"), "\(r)")
            #expect(!s.dir.exists("build/story.json") && !s.dir.exists("build/cover.jpeg"))
        }
    }
}
