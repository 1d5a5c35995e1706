import Foundation
import Testing
@testable import AssetBuildCore

/// The option parts of `schemas/assetbuild.schema.json` are written from `OptionTable` by
/// `scripts/update-schema`; `RECORD_SCHEMA=1 swift test --filter OptionTableTests` rewrites them
/// (before any test here reads the file), like the golden tests' `RECORD_SNAPSHOTS=1`.
extension OptionTableTests {
    static let fixCommand = "RECORD_SCHEMA=1 swift test --filter OptionTableTests"
    static let updater = ManifestSnapshot.root.appendingPathComponent("scripts/update-schema")

    /// With `RECORD_SCHEMA=1`: the schema file rewritten from the table, once per run; nil, or why it failed.
    static let recorded: String? = {
        guard let v = ProcessInfo.processInfo.environment["RECORD_SCHEMA"], !v.isEmpty, v != "0" else { return nil }
        do {
            try updateSchema(ManifestSchemaTests.schema)
            return nil
        } catch {
            return "\(error)"
        }
    }()

    /// Records the schema first when `RECORD_SCHEMA=1` asks for it.
    static func recordIfAsked() throws {
        if let failure = recorded { throw TestSupportError("RECORD_SCHEMA=1 could not write the schema: \(failure)") }
    }

    /// Writes the table's parts into the schema at `file` with `scripts/update-schema`.
    static func updateSchema(_ file: URL) throws {
        let parts = FileManager.default.temporaryDirectory.appendingPathComponent("assetbuild-schema-parts-\(UUID().uuidString).json")
        try Data(OptionTable.schemaParts.text.utf8).write(to: parts)
        defer { try? FileManager.default.removeItem(at: parts) }
        try python([updater.path, parts.path, file.path])
    }

    /// Runs python3 with `arguments`; throws with its standard error when it fails.
    static func python(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = arguments
        let stderr = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderr
        try process.run()
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestSupportError("python3 \(arguments.joined(separator: " ")) exited \(process.terminationStatus):\n\(err)")
        }
    }

    /// A copy of the schema file in a temporary file, removed by the caller.
    static func schemaCopy() throws -> URL {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("assetbuild-schema-\(UUID().uuidString).json")
        try FileManager.default.copyItem(at: ManifestSchemaTests.schema, to: copy)
        return copy
    }

    @Test func the_schema_file_is_what_the_updater_writes_from_the_table() throws {
        try Self.recordIfAsked()
        let copy = try Self.schemaCopy()
        defer { try? FileManager.default.removeItem(at: copy) }
        try Self.updateSchema(copy)
        let written = try String(contentsOf: ManifestSchemaTests.schema, encoding: .utf8)
        let fromTable = try String(contentsOf: copy, encoding: .utf8)
        #expect(written == fromTable, """
            schemas/assetbuild.schema.json is not what OptionTable says; run \(Self.fixCommand) to write it:
            \(ManifestSnapshot.diff(written, fromTable))
            """)
    }

    /// Removes every key named like the option (its `$defs` entry, its `$ref`s, its `false`, its
    /// per-model rules; the storybook's own choice of options stays) from a copy of the schema,
    /// runs the updater on it, and gets the file back byte for byte.
    @Test func the_updater_puts_back_a_removed_option_byte_for_byte() throws {
        try Self.recordIfAsked()
        let original = try Data(contentsOf: ManifestSchemaTests.schema)
        let remove = """
            import json, sys
            def strip(node, name, parent=None):
                if isinstance(node, dict):
                    if parent == "storybook":
                        return
                    node.pop(name, None)
                    for key, value in node.items():
                        strip(value, name, key)
                elif isinstance(node, list):
                    for value in node:
                        strip(value, name, parent)
            with open(sys.argv[1], encoding="utf-8") as f:
                schema = json.load(f)
            strip(schema, sys.argv[2])
            with open(sys.argv[1], "w", encoding="utf-8") as f:
                f.write(json.dumps(schema, indent=2, ensure_ascii=False) + "\\n")
            """
        for o in OptionTable.all {
            let copy = try Self.schemaCopy()
            defer { try? FileManager.default.removeItem(at: copy) }
            try Self.python(["-c", remove, copy.path, o.name])
            let stripped = try Data(contentsOf: copy)
            #expect(stripped != original, "\(o.name): nothing was removed")
            let defs = (try JSONSerialization.jsonObject(with: stripped) as? [String: Any])?["$defs"] as? [String: Any]
            #expect(defs?[o.name] == nil && Self.dig(defs, "target", "properties", o.name) == nil,
                    "\(o.name): its entry and $ref are still there")
            try Self.updateSchema(copy)
            let restored = try Data(contentsOf: copy)
            #expect(restored == original, """
                \(o.name): the updater did not put the schema back as it was:
                \(ManifestSnapshot.diff(String(decoding: original, as: UTF8.self), String(decoding: restored, as: UTF8.self)))
                """)
        }
    }

    @Test func the_parts_are_json_in_the_order_the_schema_writes_them() throws {
        let parts = try JSONSerialization.jsonObject(with: Data(OptionTable.schemaParts.text.utf8)) as? [String: Any]
        let options = try #require(parts?["options"] as? [[String: Any]])
        #expect(options.map { $0["name"] as? String } == OptionTable.all.map(\.name))
        #expect(OptionTable.guidanceScale.spec.schemaEntry.text
                == #"{"type":"number","minimum":1,"maximum":10,"description":"\#(OptionTable.guidanceScale.spec.description)"}"#)
        #expect(OptionTable.watermark.spec.schemaEntry.text.contains("'AI生成' mark"))
        #expect(SchemaJSON.string("a/\"b\"\n").text == #""a/\"b\"\n""#)
        let model = try #require(ModelCatalog.model(id: "doubao-seedream-4-5-251128"))
        #expect(OptionTable.optimizePrompt.spec.schemaRestriction(for: model)?.text == #"{"const":"standard"}"#)
        #expect(OptionTable.stream.spec.schemaRestriction(for: try #require(ModelCatalog.model(id: "doubao-seedream-3-0-t2i-250415")))?.text
                == #"{"const":false}"#)
        #expect(OptionTable.seed.spec.schemaRestriction(for: model)?.text == "false")
        #expect(OptionTable.watermark.spec.schemaRestriction(for: model) == nil)
    }
}
