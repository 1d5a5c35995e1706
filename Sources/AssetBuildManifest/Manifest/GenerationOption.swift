import Yams
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook

/// A generation option's value, as the manifest writes it and the request sends it.
public enum OptionValue: Sendable, Hashable, CustomStringConvertible {
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)

    /// How `--explain` shows the value (`true`, `42`, `2.5`, `5.0`, `fast`).
    public var description: String {
        switch self {
        case .bool(let b): return b.description
        case .int(let i): return i.description
        case .number(let d): return d.description
        case .string(let s): return s
        }
    }
}

/// The Swift type of an option's value (`Bool`, `Int`, `Double`, `String`).
public protocol OptionValueType: Sendable, Equatable {
    init?(option: OptionValue)
    var optionValue: OptionValue { get }
}

extension Bool: OptionValueType {
    public init?(option: OptionValue) { guard case .bool(let v) = option else { return nil }; self = v }
    public var optionValue: OptionValue { .bool(self) }
}

extension Int: OptionValueType {
    public init?(option: OptionValue) { guard case .int(let v) = option else { return nil }; self = v }
    public var optionValue: OptionValue { .int(self) }
}

extension Double: OptionValueType {
    public init?(option: OptionValue) { guard case .number(let v) = option else { return nil }; self = v }
    public var optionValue: OptionValue { .number(self) }
}

extension String: OptionValueType {
    public init?(option: OptionValue) { guard case .string(let v) = option else { return nil }; self = v }
    public var optionValue: OptionValue { .string(self) }
}

/// One row of `OptionTable`: everything assetbuild knows about a generation option. Parsing,
/// defaults, the model checks, the action key, the request body, the draft provider and the
/// JSON Schema test all read it from here.
public struct GenerationOption: Sendable {
    /// Which kind of target takes the option; the other kind rejects it with a positioned error.
    public enum Target: Sendable, Hashable { case image, text }

    public enum ValueType: Sendable, Hashable {
        case bool
        case int(ClosedRange<Int>)
        case number(ClosedRange<Double>)
        /// One of these strings (a misspelt one gets "did you mean").
        case choice([String])
    }

    /// The value a target gets when neither it nor `defaults:` sets the option.
    public enum Default: Sendable, Hashable {
        /// Nothing: the key and the request leave the option out.
        case none
        case value(OptionValue)
        /// On for a group (`images` > 1) when the model takes the option, else off.
        case onForGroups
    }

    /// Which image models take the option (text options take every chat model).
    public enum Models: Sendable, Hashable {
        case all
        /// Only these; `takers` ends the message for the others ("seedream 4.5 and 4.0 stream").
        case only([ImageModel.Family], takers: String)
        /// A choice option whose values differ by model; a model not listed takes none.
        case choices([ImageModel.Family: [String]], takers: String)
    }

    /// Where the value goes in the Ark request body.
    public enum Request: Sendable, Hashable {
        /// `"name": value`.
        case field(String)
        /// `"name": true`, and nothing when the value is false.
        case flag(String)
        /// `"outer": {"inner": value}`.
        case object(String, String)
    }

    /// What the draft provider does with the value.
    public enum Draft: Sendable, Hashable {
        /// Nothing: drafts look the same whatever it says.
        case ignored
        /// It enters the draft's picture key (which varies its look), `absent` standing for no value.
        case varies(absent: String)
    }

    public var name: String
    public var target: Target
    public var type: ValueType
    public var defaultValue: Default
    public var models: Models
    /// The option's field in the action key's canonical JSON; nil when it does not change the result.
    public var key: String?
    public var request: Request?
    public var draft: Draft
    /// The JSON Schema's `description` (the schema entry's type, enum and bounds come from `type`).
    public var description: String

    public init(name: String, target: Target, type: ValueType, default defaultValue: Default = .none,
                models: Models = .all, key: String?, request: Request?, draft: Draft = .ignored, description: String) {
        self.name = name
        self.target = target
        self.type = type
        self.defaultValue = defaultValue
        self.models = models
        self.key = key
        self.request = request
        self.draft = draft
        self.description = description
    }

    // MARK: Parsing and checks

    /// The value written at `node`, or nil after reporting why it is not one.
    package func parse(_ node: Node, tree: inout YAMLTree) -> OptionValue? {
        switch type {
        case .bool: return tree.bool(node, for: name).map(OptionValue.bool)
        case .int(let range): return tree.int(node, for: name, range: range).map(OptionValue.int)
        case .number(let range): return tree.double(node, for: name, range: range).map(OptionValue.number)
        case .choice(let choices): return tree.choice(node, for: name, choices).map(OptionValue.string)
        }
    }

    /// Whether `model` takes the option at all.
    public func takes(_ model: ImageModel) -> Bool {
        switch models {
        case .all: return true
        case .only(let families, _): return families.contains(model.family)
        case .choices(let byFamily, _): return !(byFamily[model.family] ?? []).isEmpty
        }
    }

    /// The values `model` takes, for a choice option whose values differ by model.
    public func choices(for model: ImageModel) -> [String]? {
        if case .choices(let byFamily, _) = models { return byFamily[model.family] ?? [] }
        if case .choice(let all) = type { return takes(model) ? all : [] }
        return nil
    }

    /// Whether the request carries `value` (a flag that is off is not sent, so any model takes it).
    public func sends(_ value: OptionValue) -> Bool {
        if case .flag = request { return value == .bool(true) }
        return request != nil
    }

    /// Reports `value` when `model` does not take it; `m` names the model as the messages do.
    package func check(_ value: Located<OptionValue>, model: ImageModel, display m: String, tree: inout YAMLTree) {
        guard sends(value.value) else { return }
        switch models {
        case .all:
            return
        case .only(_, let takers) where !takes(model), .choices(_, let takers) where !takes(model):
            tree.error("'\(name)' is not supported by \(m); only \(takers)", at: value.location)
        case .choices(let byFamily, _):
            let offered = byFamily[model.family] ?? []
            if case .string(let s) = value.value, !offered.contains(s) {
                let list = offered.map { "'\($0)'" }.joined(separator: " or ")
                tree.error("'\(name): \(s)' is not offered by \(m); it takes \(list)", at: value.location)
            }
        case .only:
            return
        }
    }

    /// The value a target that does not set the option gets; `model` is nil when it is unknown.
    package func defaultValue(model: ImageModel?, images: Int) -> OptionValue? {
        switch defaultValue {
        case .none: return nil
        case .value(let v): return v
        case .onForGroups: return .bool(images > 1 && (model.map(takes) ?? false))
        }
    }
}

/// A typed handle on a row of the table, for the few places that read one option by name
/// (`stream` decides how the answer is read).
public struct TypedOption<Value: OptionValueType>: Sendable {
    public let spec: GenerationOption

    package init(_ spec: GenerationOption) {
        let swiftType: Any.Type
        switch spec.type {
        case .bool: swiftType = Bool.self
        case .int: swiftType = Int.self
        case .number: swiftType = Double.self
        case .choice: swiftType = String.self
        }
        precondition(swiftType == Value.self, "option '\(spec.name)' is a \(spec.type), not a \(Value.self)")
        self.spec = spec
    }
    public var name: String { spec.name }
}

/// Generation options' values by option name: a target's after defaults, a request's, or an
/// action key's (by key name).
public struct OptionValues: Sendable, Hashable {
    public private(set) var values: [String: OptionValue] = [:]

    public init(_ values: [String: OptionValue] = [:]) { self.values = values }

    public subscript(name: String) -> OptionValue? {
        get { values[name] }
        set { values[name] = newValue }
    }

    public subscript<Value>(option: TypedOption<Value>) -> Value? {
        get { values[option.name].flatMap(Value.init(option:)) }
        set { values[option.name] = newValue?.optionValue }
    }

    public var isEmpty: Bool { values.isEmpty }
}

extension OptionTable {
    /// The rows by option name.
    public static let named: [String: GenerationOption] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    /// The rows a kind of target takes, in table order.
    public static func options(for target: GenerationOption.Target) -> [GenerationOption] {
        target == .image ? imageOptions : textOptions
    }

    package static let imageOptions = all.filter { $0.target == .image }
    package static let textOptions = all.filter { $0.target == .text }

    /// The rows that enter the action key, by key name.
    public static let keyed: [String: GenerationOption] = Dictionary(uniqueKeysWithValues: all.compactMap { o in o.key.map { ($0, o) } })
}
