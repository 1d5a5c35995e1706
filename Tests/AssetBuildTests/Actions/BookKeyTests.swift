import Foundation
import Testing
@testable import AssetBuildCore

/// A book's key has its own components (no image fields standing in for story and layout); a book
/// keyed by the older format is assembled once more, and says why.
@Suite struct BookKeyTests {
    static let components = BookKeyComponents(assembler: 4, story: "s1", layout: "l1", pictures: ["0:aa", "1:failed:Sensitive"])

    @Test func a_book_keyed_by_format_1_says_the_key_format_changed() {
        let legacy = ActionKeyComponents(kind: "book", provider: "local", model: "book-4", prompt: "s1",
                                         references: ["0:aa", "1:failed:Sensitive"], system: "l1")
        let record = Fingerprint(components: legacy, referenceLabels: []).recordJSON
        let now = Fingerprint(components: Self.components, referenceLabels: [])
        #expect(now.key != legacy.key)
        #expect(now.changes(sinceRecord: record) == [.optionChanged(name: "key format", old: "1", new: "2")])
    }

    @Test func a_stored_book_key_reads_back_as_a_book_and_the_record_says_what_it_said() throws {
        let fp = Fingerprint(components: Self.components, referenceLabels: [])
        let (decoded, _) = try #require(Fingerprint.decode(recordJSON: fp.recordJSON))
        #expect(decoded is BookKeyComponents && decoded.canonicalJSON == Self.components.canonicalJSON)
        #expect(Self.components.summary == KeySummary(kind: "book", provider: "local", model: "book-4", prompt: "s1"))
        // Image and text records still read back as what they were.
        let image = ActionKeyComponents(kind: "image", provider: "draft", model: "m", prompt: "p", size: "2K", images: 1)
        let (back, _) = try #require(Fingerprint.decode(recordJSON: Fingerprint(components: image, referenceLabels: []).recordJSON))
        #expect((back as? ActionKeyComponents) == image)
        #expect(fp.changes(sinceRecord: fp.recordJSON) == [])
    }
}
