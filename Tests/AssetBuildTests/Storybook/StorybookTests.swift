@testable import AssetBuildCore
import FakeArk
import Foundation
import Testing

/// The storybook flow end to end through the real Ark client against the fake server: story,
/// pictures, book; each step cached on its own.
@Suite struct StorybookTests {
    static func story(scenes: Int, chinese: Bool = false) -> String {
        let texts = (1...scenes).map { chinese ? "第\($0)页的故事。" : "Page \($0) of the story." }
        let details = (1...scenes).map { chinese ? "图片\($0)：小兔子在森林里。" : "Picture \($0): the bunny in the woods." }
        let o: [String: Any] = ["title": chinese ? "小兔子" : "Pip Shares", "summary": chinese ? "学会分享" : "Sharing is caring",
                                "scenes": texts, "scenes_detail": details]
        return String(decoding: try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
    }

    /// A storybook project in a temporary folder, built by an engine whose providers talk to `fake`.
    struct Project {
        let dir: String
        let fake: FakeArkServer
        let transport = CurlTransport()
        let reporter = RecordingReporter()

        init(fake: FakeArkServer, references: Int = 1, scenes: String = "5-10", pages: String = "", layout: String = "") throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("assetbuild-story-\(UUID().uuidString.prefix(8))").path
            self.fake = fake
            try FileManager.default.createDirectory(atPath: dir + "/refs", withIntermediateDirectories: true)
            var refs: [String] = []
            for i in 0..<references {
                var image = RGBImage(width: 64, height: 64, color: RGBColor(UInt8(40 * i % 255), 120, 200))
                image.fillRect(PixelRect(x: 8, y: 8, width: 20, height: 20), color: .white)
                try PNGCodec.encode(image).write(to: URL(fileURLWithPath: dir + "/refs/r\(i).png"))
                refs.append("refs/r\(i).png")
            }
            try write(request: "A bedtime story about Pip the bunny", refs: refs, scenes: scenes, pages: pages, layout: layout)
        }

        func write(request: String, refs: [String], scenes: String, pages: String, layout: String = "") throws {
            var yaml = """
            version: 1
            targets:
              book:
                storybook:
                  request: "\(request)"
                  references: [\(refs.joined(separator: ", "))]
                  scenes: \(scenes)
                  watermark: false

            """
            if !pages.isEmpty { yaml += "      pages: {\(pages)}\n" }
            if !layout.isEmpty { yaml += "      layout: {\(layout)}\n" }
            try yaml.write(toFile: dir + "/assetbuild.yaml", atomically: true, encoding: .utf8)
        }

        func engine() throws -> BuildEngine {
            let manifest = try ManifestLoader.load(path: dir + "/assetbuild.yaml")
            let client = ArkClient(baseURL: fake.baseURL, apiKey: "test-key", transport: transport)
            return BuildEngine(workspace: try Workspace(manifest: manifest), images: client, text: client,
                               reporter: reporter)
        }

        @discardableResult
        func build() async throws -> BuildSummary { try await engine().build(BuildOptions()) }

        func read(_ rel: String) throws -> String { try String(contentsOfFile: dir + "/build/" + rel, encoding: .utf8) }

        func close() async {
            transport.shutdown()
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    func withFake(_ configure: (inout FakeArkBehavior) -> Void, _ body: (FakeArkServer) async throws -> Void) async throws {
        var b = FakeArkBehavior()
        configure(&b)
        let fake = try await FakeArkServer.start(b)
        do { try await body(fake) } catch { await fake.stop(); throw error }
        await fake.stop()
    }

    @Test func full_flow_with_references_then_a_rebuild_sends_nothing() async throws {
        try await withFake({ $0.chatContent = Self.story(scenes: 6) }) { fake in
            let p = try Project(fake: fake, references: 2)
            defer { Task { await p.close() } }
            let first = try await p.build()
            #expect(first.built == 3)
            #expect(fake.chatRequests.count == 1)
            #expect(fake.generationRequests.count == 1)
            // The story step asks for JSON in the storybook shape, with the request as the user message.
            let chat = try #require(fake.chatRequests.first?.json)
            #expect(chat["response_format"]?["type"]?.string == "json_schema")
            let messages = chat["messages"]?.array ?? []
            #expect(messages.last?["content"]?.string == "A bedtime story about Pip the bunny")
            #expect(messages.first?["role"]?.string == "system")
            // One group: a picture per scene and a cover, with both references.
            let gen = try #require(fake.generationRequests.first?.json)
            #expect(gen["sequential_image_generation_options"]?["max_images"]?.int == 7)
            #expect(gen["image"]?.array?.count == 2)
            let prompt = gen["prompt"]?.string ?? ""
            #expect(prompt.hasPrefix("A bedtime story about Pip the bunny"))
            #expect(prompt.contains("Picture 6: the bunny in the woods."))
            #expect(prompt.contains("cover"))
            let html = try p.read("book/index.html")
            #expect(html.contains("<h1>Pip Shares</h1>"))
            #expect(html.contains("src=\"pictures/7.jpeg\""))   // the cover is the last picture
            for page in 1...6 { #expect(html.contains("id=\"page-\(page)\"")) }
            #expect(FileManager.default.fileExists(atPath: p.dir + "/build/book/pictures/6.jpeg"))

            let again = try await p.build()
            #expect(again.requests == 0)
            #expect(fake.chatRequests.count == 1 && fake.generationRequests.count == 1)
        }
    }

    @Test func ten_scenes_with_two_references_ask_for_eleven_pictures_within_the_limit_of_thirteen() async throws {
        try await withFake({ $0.chatContent = Self.story(scenes: 10) }) { fake in
            let p = try Project(fake: fake, references: 2)
            defer { Task { await p.close() } }
            let plan = try await p.engine().plan()
            let pending = try #require(plan.targets.first { $0.target == "book.pictures" })
            #expect(pending.imagesToGenerate == 11)
            // Before the story is written, the plan reports the group for the longest story allowed.
            #expect(pending.detail == "up to 11 images (10 scenes + cover) of at most 13 with 2 references")
            try await p.build()
            let gen = try #require(fake.generationRequests.first?.json)
            #expect(gen["sequential_image_generation_options"]?["max_images"]?.int == 11)
            #expect(try p.read("book/index.html").contains("id=\"page-10\""))
            // Once it is, the plan reports the group this story asked for.
            let after = try #require(try await p.engine().plan().targets.first { $0.target == "book.pictures" })
            #expect(after.detail == "11 images (10 scenes + cover) of at most 13 with 2 references")
        }
    }

    @Test func too_many_references_for_the_cover_is_reported_and_the_cover_dropped() async throws {
        try await withFake({ $0.chatContent = Self.story(scenes: 10) }) { fake in
            let p = try Project(fake: fake, references: 6)
            defer { Task { await p.close() } }
            let manifest = try ManifestLoader.load(path: p.dir + "/assetbuild.yaml")
            #expect(manifest.warnings.map(\.message) == [
                "with 6 reference images the service draws at most 9 pictures; a story of 10 scenes leaves page 10 and the cover without a picture",
            ])
            try await p.build()
            let gen = try #require(fake.generationRequests.first?.json)
            #expect(gen["sequential_image_generation_options"]?["max_images"]?.int == 9)
            let prompt = gen["prompt"]?.string ?? ""
            #expect(prompt.contains("cover") == false)
            #expect(prompt.contains("Make a set of 9 illustrations"))
            #expect(prompt.contains("Picture 10") == false)
            let html = try p.read("book/index.html")
            // Page 10 and the cover were never asked for: gaps that say why, not a shifted book.
            let notDrawn = "not drawn: the service allows at most 9 images with 6 references"
            let page10 = try #require(html.range(of: "id=\"page-10\""))
            #expect(html[page10.upperBound...].contains(notDrawn))
            let cover = try #require(html.range(of: "<section class=\"cover\">"))
            let page1 = try #require(html.range(of: "id=\"page-1\""))
            #expect(html[cover.upperBound..<page1.lowerBound].contains(notDrawn))
            #expect(!html.contains("did not return"))
            #expect(html.contains("src=\"pictures/9.jpeg\""))   // page 9 keeps its picture
            let plan = try #require(try await p.engine().plan().targets.first { $0.target == "book.pictures" })
            #expect(plan.detail == "9 images (scenes 1-9, no cover) of at most 9 with 6 references: page 10 and the cover will have no picture")
        }
    }

    @Test func a_malformed_story_fails_clearly_and_keeps_the_raw_reply() async throws {
        try await withFake({ $0.chatContent = Self.story(scenes: 6); $0.chatWrapping = .malformed }) { fake in
            let p = try Project(fake: fake)
            defer { Task { await p.close() } }
            await #expect(throws: BuildFailed.self) { try await p.build() }
            #expect(fake.generationRequests.isEmpty)   // no pictures paid for a story that failed
            let raw = p.dir + "/.assetbuild/rejected/book.story.txt"
            let failed = p.reporter.events.compactMap { e -> String? in
                if case .targetFailed("book.story", let message) = e { return message }
                return nil
            }
            #expect(failed == ["book.story: the model's reply was rejected: it is not valid JSON; the raw reply is saved in \(raw)"])
            // The raw reply is what the model said, byte for byte: the first half of the story.
            let story = Self.story(scenes: 6)
            #expect(try String(contentsOfFile: raw, encoding: .utf8) == String(story.prefix(story.count / 2)))
        }
    }

    @Test func a_code_fenced_story_is_accepted() async throws {
        try await withFake({ $0.chatContent = Self.story(scenes: 5); $0.chatWrapping = .codeFence }) { fake in
            let p = try Project(fake: fake)
            defer { Task { await p.close() } }
            let s = try await p.build()
            #expect(s.built == 3)
            #expect(try p.read("book/story.json").hasPrefix("{"))
        }
    }

    @Test func a_moderated_picture_leaves_a_gap_with_its_reason() async throws {
        try await withFake({ $0.chatContent = Self.story(scenes: 5); $0.moderatedImages = [2] }) { fake in
            let p = try Project(fake: fake)
            defer { Task { await p.close() } }
            try await p.build()
            let html = try p.read("book/index.html")
            let page3 = try #require(html.range(of: "id=\"page-3\""))
            let page4 = try #require(html.range(of: "id=\"page-4\""))
            let section = html[page3.upperBound..<page4.lowerBound]
            #expect(section.contains("refused by moderation"))
            #expect(section.contains("OutputImageSensitiveContentDetected"))
            #expect(html.contains("src=\"pictures/4.jpeg\""))   // page 4 keeps its own picture
        }
    }

    @Test func each_step_is_cached_on_its_own() async throws {
        try await withFake({ $0.chatContent = Self.story(scenes: 5) }) { fake in
            let p = try Project(fake: fake)
            defer { Task { await p.close() } }
            try await p.build()
            // A page text edit re-assembles the book only.
            try p.write(request: "A bedtime story about Pip the bunny", refs: ["refs/r0.png"], scenes: "5-10", pages: "2: \"New words\"")
            let edited = try await p.build()
            #expect(edited.requests == 0 && edited.built == 1)
            #expect(try p.read("book/index.html").contains("New words"))
            // A changed reference redraws the pictures (and the book), not the story.
            var image = RGBImage(width: 64, height: 64, color: RGBColor(200, 10, 10))
            image.fillRect(PixelRect(x: 1, y: 1, width: 5, height: 5), color: .black)
            try PNGCodec.encode(image).write(to: URL(fileURLWithPath: p.dir + "/refs/r0.png"))
            let redrawn = try await p.build()
            #expect(fake.chatRequests.count == 1 && fake.generationRequests.count == 2)
            // The fake draws byte-identical pictures, so the book's inputs did not change: early
            // cutoff leaves it as it is (only the pictures were built).
            #expect(redrawn.built == 1, "\(p.reporter.events.suffix(12))")
            // A new request redoes everything.
            try p.write(request: "A story about a brave hedgehog", refs: ["refs/r0.png"], scenes: "5-10", pages: "")
            try await p.build()
            #expect(fake.chatRequests.count == 2 && fake.generationRequests.count == 3)
        }
    }

    @Test func a_layout_edit_reassembles_the_book_with_no_request_and_says_why() async throws {
        try await withFake({ $0.chatContent = Self.story(scenes: 5) }) { fake in
            let p = try Project(fake: fake)
            defer { Task { await p.close() } }
            try await p.build()
            #expect(try p.read("book/index.html").contains("class=\"page left\" id=\"page-1\""))
            try p.write(request: "A bedtime story about Pip the bunny", refs: ["refs/r0.png"], scenes: "5-10", pages: "",
                        layout: "arrangement: stacked, theme: plain")
            let edited = try await p.build()
            #expect(edited.requests == 0 && edited.built == 1)
            #expect(fake.chatRequests.count == 1 && fake.generationRequests.count == 1)
            let html = try p.read("book/index.html")
            #expect(html.contains("class=\"page stacked\" id=\"page-1\""))
            #expect(html.contains("--paper: #ffffff"))
            let reasons = p.reporter.events.compactMap { e -> [String]? in
                if case .decided("book", _, let reasons, _) = e { return reasons.map(\.description) }
                return nil
            }
            #expect(reasons.last == ["book layout or page text changed"])
        }
    }

    @Test func the_draft_provider_writes_a_story_in_the_requests_language() {
        let zh = DraftStory.story(for: "给孩子讲一个关于小兔子的故事", scenes: 5...6)
        let parsed = BookAssembler.Story.parse(zh)
        #expect(parsed.map { (5...6).contains($0.scenes.count) } == true)
        #expect(parsed?.details.first?.hasPrefix("图片1") == true)
        let en = BookAssembler.Story.parse(DraftStory.story(for: "A story about a fox", scenes: 7...7))
        #expect(en?.scenes.count == 7)
        #expect(en?.details.first?.hasPrefix("Picture 1") == true)
    }
}
