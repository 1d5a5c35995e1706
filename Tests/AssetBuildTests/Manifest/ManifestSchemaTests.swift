import Foundation
import Testing
import Yams
@testable import AssetBuildCore

/// `schemas/assetbuild.schema.json` agrees with the loader: every example and good fixture is
/// valid, and typical mistakes are not. The documents are validated after YAML merge keys are
/// resolved (Yams `load`), by a real validator: Debian's python3-jsonschema.
@Suite struct ManifestSchemaTests {
    static let schema = ManifestSnapshot.root.appendingPathComponent("schemas/assetbuild.schema.json")

    /// Bad fixtures the schema alone must reject (the rest need the loader: cross-target checks).
    static let rejected = [
        "unknown-key-promt", "unknown-top-level-key", "missing-version", "version-2", "size-a-number",
        "size-not-a-size", "watermark-quoted", "images-16", "invalid-target-name", "output-absolute",
        "output-outside-build-dir", "output-png", "output-group-without-n", "api-key-in-provider", "bad-base-url",
        "concurrency-zero", "seed-on-4-5", "guidance-scale-on-4-0", "guidance-scale-11-on-3-0", "stream-on-3-0",
        "optimize-prompt-fast-on-4-5", "size-1k-on-4-5", "adaptive-on-4-5", "wxh-on-seededit",
        "references-on-3-0-t2i", "group-on-3-0-t2i", "text-option-on-image-target", "image-option-on-text-target",
        "text-model-for-image", "reference-mapping-two-sources", "pin-with-file", "output-in-defaults",
        "provider-name-typo", "unknown-provider-key", "system-and-system-file", "prompt-not-a-string",
        "var-not-a-string", "no-targets", "unknown-schema",
        // Variants and derived targets.
        "variant-unknown-key", "variant-size-zero", "variant-size-over-the-limit", "variant-size-not-a-size",
        "variant-unknown-fit-crop-format", "variant-quality-out-of-range", "variant-bad-colour", "variant-on-a-text-target",
        "variant-bad-name", "variant-output-of-a-group", "derived-from-unknown", "derived-with-generation-options",
        "derived-option-on-an-image-target", "overlay-unknown-keys-and-values", "overlay-text-without-font-or-size",
        "overlay-image-and-text", "variant-on-a-storybook",
        // The remote cache.
        "cache-remote-not-a-url", "cache-unknown-key", "cache-credentials-in-url",
        // Coordination through Redis.
        "coordination-bad-redis-url", "coordination-password-in-manifest", "coordination-unknown-key",
    ]

    @Test func the_schema_is_valid_draft_2020_12() throws {
        let result = try Self.validate([:])
        #expect(result.isEmpty)
    }

    @Test func every_example_and_good_fixture_is_valid() throws {
        var documents: [String: Any] = [:]
        for path in ManifestGoodTests.exampleManifests() {
            documents[path] = try Self.json(String(contentsOfFile: path, encoding: .utf8))
        }
        for name in ManifestSnapshot.names(in: "good") {
            documents["good/\(name)"] = try Self.json(ManifestSnapshot.text("good", name))
        }
        #expect(documents.count >= 2)
        for (name, errors) in try Self.validate(documents) where !errors.isEmpty {
            Issue.record("\(name) does not match the schema:\n\(errors.joined(separator: "\n"))")
        }
    }

    @Test func typical_mistakes_fail_the_schema() throws {
        var documents: [String: Any] = [:]
        for name in Self.rejected {
            documents[name] = try Self.json(ManifestSnapshot.text("bad", name))
        }
        let result = try Self.validate(documents)
        for name in Self.rejected where (result[name] ?? []).isEmpty {
            Issue.record("bad/\(name).yaml passes the schema, but the loader rejects it")
        }
    }

    // MARK: Support

    /// The YAML document as JSON-compatible values, merge keys resolved.
    static func json(_ yaml: String) throws -> Any {
        jsonValue(try Yams.load(yaml: yaml) ?? NSNull())
    }

    static func jsonValue(_ value: Any) -> Any {
        switch value {
        case let d as [AnyHashable: Any]:
            var out: [String: Any] = [:]
            for (k, v) in d { out["\(k.base)"] = jsonValue(v) }
            return out
        case let d as [String: Any]: return d.mapValues(jsonValue)
        case let a as [Any]: return a.map(jsonValue)
        case is String, is Bool, is Int, is Double, is NSNull: return value
        case let date as Date: return ISO8601DateFormatter().string(from: date)
        case let data as Data: return data.base64EncodedString()
        default: return "\(value)"
        }
    }

    /// Validates each document against the schema in one python3 process (the schema itself is
    /// always checked); returns each document's errors (`path: message`).
    static func validate(_ documents: [String: Any]) throws -> [String: [String]] {
        let python = "/usr/bin/python3"
        let script = """
        import json, sys
        try:
            import jsonschema
        except ImportError:
            sys.stderr.write("python3-jsonschema is not installed")
            sys.exit(3)
        schema = json.load(open(sys.argv[1]))
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema)
        documents = json.load(open(sys.argv[2]))
        out = {}
        for name, doc in documents.items():
            out[name] = ["/".join(map(str, e.absolute_path)) + ": " + e.message
                         for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]
        print(json.dumps(out))
        """
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw SchemaToolMissing(message: "\(python) is missing; run scripts/install-deps (it installs python3-jsonschema)")
        }
        let input = FileManager.default.temporaryDirectory
            .appendingPathComponent("assetbuild-schema-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: documents).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script, schema.path, input.path]
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus == 3 {
            throw SchemaToolMissing(message: "\(err): run scripts/install-deps (it installs python3-jsonschema) to test the schema")
        }
        guard process.terminationStatus == 0 else {
            throw SchemaToolMissing(message: "the schema check failed (exit \(process.terminationStatus)):\n\(err)")
        }
        return try JSONDecoder().decode([String: [String]].self, from: out)
    }

    struct SchemaToolMissing: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
