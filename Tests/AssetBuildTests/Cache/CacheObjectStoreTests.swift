import Foundation
import Testing
@testable import AssetBuildCore

@Suite struct CacheObjectStoreTests {
    @Test func put_then_read_round_trips_under_a_sharded_sha256_name() throws {
        let dir = try CacheTemporaryDirectory()
        let store = try ObjectStore(directory: dir.url.appendingPathComponent("objects"))
        let data = cacheImageBytes(1)

        let id = try store.put(data)

        #expect(id.hex == SHA256.hash(data).hex)
        #expect(store.contains(id))
        #expect(try store.read(id) == data)
        let expected = dir.path + "/objects/" + id.hex.prefix(2) + "/" + id.hex.dropFirst(2)
        #expect(store.path(for: id) == expected)
        #expect(FileManager.default.fileExists(atPath: expected))
    }

    @Test func putting_the_same_bytes_twice_is_a_no_op() throws {
        let dir = try CacheTemporaryDirectory()
        let store = try ObjectStore(directory: dir.url)
        let first = try store.put(cacheImageBytes(2))
        let attributes = try FileManager.default.attributesOfItem(atPath: store.path(for: first))

        let second = try store.put(cacheImageBytes(2))

        #expect(first == second)
        let again = try FileManager.default.attributesOfItem(atPath: store.path(for: first))
        #expect(attributes[.systemFileNumber] as? Int == again[.systemFileNumber] as? Int)  // not rewritten
        #expect(dir.files(under: ".").filter { !$0.hasPrefix("tmp/") }.count == 1)
    }

    @Test func leaves_no_temporary_files_behind() throws {
        let dir = try CacheTemporaryDirectory()
        let store = try ObjectStore(directory: dir.url)
        for i in 0..<10 { try store.put(cacheImageBytes(i)) }
        try store.put(cacheImageBytes(3))
        let source = dir.url.appendingPathComponent("source.bin")
        try cacheImageBytes(99, size: 3_000_000).write(to: source)
        try store.put(fileAt: source)
        try store.put(fileAt: source)

        #expect(dir.files(under: "tmp").isEmpty)
        #expect(dir.files(under: ".").filter { !$0.hasPrefix("tmp/") && $0 != "source.bin" }.count == 11)
    }

    @Test func put_file_streams_and_matches_put_data() throws {
        let dir = try CacheTemporaryDirectory()
        let store = try ObjectStore(directory: dir.url.appendingPathComponent("objects"))
        let data = cacheImageBytes(7, size: 2_500_000)  // spans several 1 MiB chunks
        let source = dir.url.appendingPathComponent("big.jpeg")
        try data.write(to: source)

        let fromFile = try store.put(fileAt: source)

        #expect(fromFile == ObjectID(digest: SHA256.hash(data)))
        #expect(try store.read(fromFile) == data)
        #expect(try store.put(data) == fromFile)
    }

    @Test func verify_detects_tampering_and_put_repairs_a_truncated_object() throws {
        let dir = try CacheTemporaryDirectory()
        let store = try ObjectStore(directory: dir.url)
        let data = cacheImageBytes(4)
        let id = try store.put(data)
        #expect(try store.verify(id))

        let path = store.path(for: id)
        chmod(path, 0o644)
        try Data("tampered".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try store.verify(id) == false)

        try store.put(data)  // wrong size: replaced
        #expect(try store.verify(id))
    }

    @Test func reading_a_missing_object_names_it() throws {
        let dir = try CacheTemporaryDirectory()
        let store = try ObjectStore(directory: dir.url)
        let id = ObjectID(digest: SHA256.hash(Data("never stored".utf8)))

        #expect(!store.contains(id))
        let error = #expect(throws: CacheError.self) { try store.read(id) }
        #expect(error?.description.contains(id.hex) == true)
        #expect(throws: CacheError.self) { try store.verify(id) }
    }

    @Test func object_ids_validate_and_encode_as_a_plain_string() throws {
        let hex = SHA256.hash(Data()).hex
        #expect(ObjectID(hex: hex)?.hex == hex)
        #expect(ObjectID(hex: hex.uppercased()) == nil)
        #expect(ObjectID(hex: "abc") == nil)

        let id = try #require(ObjectID(hex: hex))
        let json = try JSONEncoder().encode([id])
        #expect(String(decoding: json, as: UTF8.self) == "[\"\(hex)\"]")
        #expect(try JSONDecoder().decode([ObjectID].self, from: json) == [id])
        #expect(throws: (any Error).self) { try JSONDecoder().decode([ObjectID].self, from: Data("[\"zz\"]".utf8)) }
    }
}
