import Testing
@testable import AssetBuildCore

@Suite struct SpellCheckTests {
    @Test func suggests_the_closest_key() {
        #expect(SpellCheck.suggestion(for: "promt", in: ["prompt", "model", "size"]) == "prompt")
        #expect(SpellCheck.suggestion(for: "sise", in: ["prompt", "model", "size"]) == "size")
        #expect(SpellCheck.suggestion(for: "completely", in: ["prompt", "model"]) == nil)
    }

    @Test func counts_a_transposition_as_one_edit() {
        #expect(SpellCheck.distance("mdoel", "model") == 1)
        #expect(SpellCheck.distance("", "abc") == 3)
    }

    @Test func sha256_matches_known_vectors() {
        #expect(SHA256.hash("abc").hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash("").hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
