import Foundation
import Testing
import Yams
@testable import AssetBuildCore

/// `YAMLTree.compose` first composes with `Resolver.basic` (no regex per key); the tree it
/// returns, or the diagnostic it records, must be the one Yams' default resolver gives.
@Suite struct YAMLComposeTests {
    /// What the manifest code reads of a tree: kinds, scalar text and style, positions, order.
    static func dump(_ node: Node?) -> String {
        guard let node else { return "nil" }
        let at = node.mark.map { "@\($0.line):\($0.column)" } ?? ""
        switch node {
        case .scalar(let s): return "\(s.style.rawValue)'\(s.string)'\(at)"
        case .mapping(let m): return "{" + m.map { "\(dump($0.key)): \(dump($0.value))" }.joined(separator: ", ") + "}\(at)"
        case .sequence(let s): return "[" + s.map { dump($0) }.joined(separator: ", ") + "]\(at)"
        case .alias: return "*alias\(at)"
        }
    }

    /// The old `compose`: the default resolver only.
    static func reference(_ text: String) -> (String, [String]) {
        do {
            return (dump(try Yams.compose(yaml: text)), [])
        } catch let error as YamlError {
            return ("nil", [YAMLSyntaxError(file: "m.yaml", text: text).diagnostic(for: error).description])
        } catch {
            return ("nil", ["\(error)"])
        }
    }

    static func composed(_ text: String) -> (String, [String]) {
        var tree = YAMLTree(file: "m.yaml")
        let node = tree.compose(text)
        return (dump(node), tree.diagnostics.map(\.description))
    }

    static let edgeCases = [
        "a: 1\na: 2\n",                          // a duplicate under both resolvers
        "a:\n  1: x\n  \"1\": y\n",              // int and str under the default: not duplicates
        "a:\n  yes: x\n  'yes': y\n",
        "a:\n  null: x\n  \"null\": y\n",
        "=: 1\n\"=\": 2\n",
        "<<: {a: 1}\n\"<<\": 2\n",
        "a:\n  !!int 1: x\n  1: y\n",            // duplicates only under the default resolver
        "a:\n  !!str b: x\n  b: y\n",
        "? [a]\n: 1\n? [\"a\"]\n: 2\n",
        "? [1]\n: 1\n? [\"1\"]\n: 2\n",
        "base: &b {model: m, size: 2K}\nt:\n  <<: *b\n  prompt: hi\n",
        "t:\n  <<: [*missing]\n",
        "a: [1, 2\n",
        "version: 1\ntargets:\n  x:\n    prompt: \"Wow!\"\n    seed: 0x1F\n    images: 1e2\n",
        "",
        "# only a comment\n",
    ]

    @Test func edgeCasesComposeAsTheDefaultResolverDoes() {
        for text in Self.edgeCases {
            let (tree, diagnostics) = Self.composed(text)
            let (expectedTree, expectedDiagnostics) = Self.reference(text)
            #expect(tree == expectedTree, "\(text)")
            #expect(diagnostics == expectedDiagnostics, "\(text)")
        }
    }

    @Test func fixturesComposeAsTheDefaultResolverDoes() throws {
        var count = 0
        for folder in ["good", "bad", "bad-files"] {
            for name in ManifestSnapshot.names(in: folder) {
                let text = try ManifestSnapshot.text(folder, name)
                let (tree, diagnostics) = Self.composed(text)
                // An alias bomb (bad/alias-bomb) is refused before Yams builds its tree: dumping
                // the default resolver's tree would walk hundreds of millions of nodes.
                if ManifestLimits.aliasOverflow(in: text) != nil {
                    #expect(tree == "nil" && diagnostics.count == 1 && diagnostics[0].contains("YAML nodes"), "\(folder)/\(name)")
                    continue
                }
                let (expectedTree, expectedDiagnostics) = Self.reference(text)
                #expect(tree == expectedTree, "\(folder)/\(name)")
                #expect(diagnostics == expectedDiagnostics, "\(folder)/\(name)")
                count += 1
            }
        }
        #expect(count > 40)
    }
}
