import Foundation
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook

/// Text targets: a chat model, a system prompt (inline or a file), a templated prompt, and the
/// reply format (text, JSON, or JSON checked against a schema).
extension TargetResolver {
    package func resolveText(name: String, location: SourceLocation, options o: TargetOptions,
                     tree: inout YAMLTree) -> TextSpec? {
        let imageOnly: [(String, SourceLocation?)] = [
            ("references", o.references?.location), ("size", o.size?.location),
            ("images", o.images?.location), ("min_images", o.minImages?.location),
        ] + OptionTable.options(for: .image).map { ($0.name, o.options[$0.name]?.location) }
        for (key, loc) in imageOnly {
            guard let loc else { continue }
            tree.error("'\(key)' applies to image targets, not to text target '\(name)'; remove it", at: loc)
        }
        let model = o.model ?? Located(ModelCatalog.defaultTextModel, at: location)
        if ModelCatalog.model(id: model.value) != nil {
            tree.error("'\(model.value)' is an image model; text targets use a chat model such as \(ModelCatalog.defaultTextModel)", at: model.location)
        }
        guard let prompt = o.prompt else {
            if !o.written.contains("prompt") {
                tree.error("text target '\(name)' has no 'prompt'; add the request for the chat model", at: location)
            }
            return nil
        }
        checkNotBlank(prompt, target: name, what: "the text", tree: &tree)
        var system = o.system
        var sourceFiles: [String] = []
        func absolute(_ p: String) -> String { p.hasPrefix("/") ? p : directory + "/" + p }
        if let file = o.systemFile {
            sourceFiles.append(absolute(file.value))
            if system != nil {
                tree.error("give 'system' or 'system_file', not both", at: file.location)
            } else if let text = readFile(file.value, for: "system_file", at: file.location, tree: &tree) {
                system = TemplateParser(vars: [:]).parse(text, location: { _ in file.location }, tree: &tree,
                                                         templateLocation: file.location)
            }
        }
        var format: TextResponseFormat = .text
        var validation: String?
        let requested = o.responseFormat?.value ?? (o.schema != nil ? "json_schema" : "json_object")
        switch requested {
        case "text": format = .text
        case "json_object": format = .jsonObject
        case "json_schema":
            guard let schema = o.schema else {
                tree.error("'response_format: json_schema' needs a 'schema' (a mapping, a .json file or 'storybook')",
                           at: o.responseFormat!.location)
                return nil
            }
            switch schema.value {
            case .named(let n):
                format = .jsonSchema(name: n, schema: BuiltinSchemas.schema(named: n) ?? "{}", strict: true)
                validation = n
            case .inline(let json):
                format = .jsonSchema(name: name, schema: json, strict: true)
            case .file(let f):
                sourceFiles.append(absolute(f))
                if let text = readFile(f, for: "schema", at: schema.location, tree: &tree) {
                    if (try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil {
                        format = .jsonSchema(name: name, schema: text, strict: true)
                    } else {
                        tree.error("schema file '\(f)' is not valid JSON", at: schema.location)
                    }
                }
            }
        default:
            tree.error("'response_format: \(requested)' is for image targets; text targets take 'text', 'json_object' or 'json_schema'",
                       at: o.responseFormat?.location ?? location)
        }
        if case .jsonSchema = format, ModelCatalog.textModelsWithoutJSONSchema.contains(model.value) {
            tree.error("'\(model.value)' cannot answer in a JSON schema; use 'response_format: json_object' (the reply is still checked against the schema if it is named), or a model that can, such as \(ModelCatalog.defaultTextModel)",
                       at: o.responseFormat?.location ?? model.location)
        }
        if let schema = o.schema, case .named(let n) = schema.value, validation == nil { validation = n }
        return TextSpec(model: model, system: system, prompt: prompt, responseFormat: format, validation: validation,
                        options: resolveOptions(o, for: .text, model: nil, display: model.value, images: 0, tree: &tree),
                        sourceFiles: sourceFiles)
    }
}
