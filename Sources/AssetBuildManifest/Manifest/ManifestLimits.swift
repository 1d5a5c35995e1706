import CYaml
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook

/// Bounds no real manifest reaches, so that hostile or broken input is refused quickly, by name,
/// instead of taking minutes or gigabytes. A 10,000-target manifest is about 2 MB and 200,000
/// YAML nodes.
public enum ManifestLimits {
    /// The manifest file itself.
    public static let maxManifestBytes = 16 << 20
    /// YAML nodes after aliases are expanded: `*name` counts as every node of what it names, as
    /// Yams (and everything reading its tree) sees it. A 600-byte "billion laughs" expands to
    /// hundreds of millions of nodes.
    public static let maxNodes = 2_000_000
    /// A text file named by the manifest (`system_file`, a schema file).
    public static let maxTextFileBytes = 4 << 20

    /// The position of the alias at which `text` grows past `maxNodes`, counting each alias as
    /// the nodes it repeats; nil when it stays within the limit (or does not parse: the YAML
    /// reader reports that). Reads libyaml's events, so it costs one linear pass and builds
    /// nothing: the check runs before Yams builds (and hashes) the expanded tree.
    package static func aliasOverflow(in text: String, limit: Int = maxNodes) -> (line: Int, column: Int)? {
        // No alias, no expansion: the node count is bounded by the text's length.
        guard text.utf8.contains(UInt8(ascii: "*")), text.utf8.contains(UInt8(ascii: "&")) else { return nil }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { buffer -> (line: Int, column: Int)? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var counter = NodeCounter(limit: limit)
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                let mark = (line: Int(event.start_mark.line) + 1, column: Int(event.start_mark.column) + 1)
                switch event.type {
                case YAML_STREAM_END_EVENT: return nil
                case YAML_SCALAR_EVENT: counter.leaf(anchor: Self.string(event.data.scalar.anchor))
                case YAML_SEQUENCE_START_EVENT: counter.open(anchor: Self.string(event.data.sequence_start.anchor))
                case YAML_MAPPING_START_EVENT: counter.open(anchor: Self.string(event.data.mapping_start.anchor))
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT: counter.close()
                case YAML_ALIAS_EVENT: counter.alias(Self.string(event.data.alias.anchor) ?? "")
                default: break
                }
                if counter.total > limit { return mark }
            }
            return nil
        }
    }

    private static func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        p.map { String(cString: $0) }
    }

    /// Counts expanded nodes: each anchor remembers how many nodes it stands for.
    package struct NodeCounter {
        package let limit: Int
        package private(set) var total = 0
        private var open: [(count: Int, anchor: String?)] = []
        private var anchors: [String: Int] = [:]

        package init(limit: Int) { self.limit = limit }

        package mutating func leaf(anchor: String?) {
            add(1)
            if let anchor { anchors[anchor] = 1 }
        }

        package mutating func open(anchor: String?) {
            total += 1
            open.append((1, anchor))
        }

        package mutating func close() {
            guard let (count, anchor) = open.popLast() else { return }
            if let anchor { anchors[anchor] = count }
            if !open.isEmpty { open[open.count - 1].count = min(limit + 1, open[open.count - 1].count + count) }
        }

        /// An undefined alias is Yams' error to report; it counts as one node here.
        package mutating func alias(_ name: String) {
            add(anchors[name] ?? 1)
        }

        /// Counts stay at most `limit + 1`: no overflow however the aliases nest.
        private mutating func add(_ n: Int) {
            total = min(limit + 1, total + n)
            if !open.isEmpty { open[open.count - 1].count = min(limit + 1, open[open.count - 1].count + n) }
        }
    }
}
