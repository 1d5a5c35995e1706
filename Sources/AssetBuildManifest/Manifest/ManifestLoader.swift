import Foundation
import Yams
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook

/// Checks a manifest's reference files, reading only those `mayRead` allows.
public typealias ReferenceFileChecks = (Manifest, _ mayRead: (String) -> Bool) -> [Diagnostic]

/// Reads `assetbuild.yaml` into a checked `Manifest`. Every problem is collected (not just the
/// first) with its position; nothing is sent anywhere until the manifest is clean.
public enum ManifestLoader {
    public static let defaultFileName = "assetbuild.yaml"
    package static let topLevelKeys = ["version", "provider", "defaults", "vars", "targets", "cache", "coordination"]
    package static let providerKeys = ["name", "base_url", "api_key_env", "concurrency", "rate_limits", "prices", "budget",
                               "endpoints", "max_attempts", "max_retry_seconds", "stall_timeout", LocalFilePolicy.manifestKey]

    /// Loads and checks the manifest at `path`; `displayName` is how diagnostics name the file.
    /// `allowOutside` lets references and text files come from anywhere (`--allow-outside`).
    /// `fileChecks` checks the reference files of a manifest that has errors, so every problem is
    /// reported in one pass; the plan layer supplies it (`load(path:displayName:allowOutside:)`).
    public static func load(path: String, displayName: String? = nil, allowOutside: Bool = false,
                            fileChecks: ReferenceFileChecks?) throws(DiagnosticsError) -> Manifest {
        let name = displayName ?? path
        let text: String
        do {
            guard !path.isEmpty else { throw FileSystemError(path: path, code: ENOENT) }
            if let st = FileOps.stat(path), st.isDirectory {
                throw DiagnosticsError([.error("'\(name)' is a folder; pass the manifest file with -f FILE, or the folder with -C DIR", at: nil)])
            }
            // A pipe (`-f /dev/stdin`) is read too, but never more than the limit.
            let data = try FileOps.read(path, limit: ManifestLimits.maxManifestBytes)
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw DiagnosticsError([.error("cannot read '\(name)': it is not UTF-8 text", at: nil)])
            }
            text = decoded
        } catch let error as DiagnosticsError {
            throw error
        } catch is FileOps.TooLarge {
            throw DiagnosticsError([.error("'\(name)' is larger than \(ManifestLimits.maxManifestBytes >> 20) MB, assetbuild's limit for a manifest (10,000 targets take about 2 MB); is it the right file?",
                                           at: nil)])
        } catch {
            let exists = FileOps.exists(path)
            throw DiagnosticsError([.error(exists ? "cannot read '\(name)': \(error)"
                                            : "no manifest at '\(name)'; create one or pass -f FILE / -C DIR",
                                           at: nil)])
        }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let directory = URL(fileURLWithPath: absolute).deletingLastPathComponent().path
        return try parse(text: text, file: name, path: absolute, directory: directory, fileChecks: fileChecks,
                         allowOutside: allowOutside)
    }

    /// Parses and checks manifest text; `directory` anchors relative paths. With `fileChecks`, a
    /// manifest that has errors also gets its reference files checked, so every problem is
    /// reported in one pass (`load` does this; a clean manifest's files are checked by the build).
    public static func parse(text: String, file: String, path: String, directory: String,
                             fileChecks: ReferenceFileChecks? = nil, allowOutside: Bool = false) throws(DiagnosticsError) -> Manifest {
        var tree = YAMLTree(file: file)
        // A key written into the manifest by mistake must not be echoed into terminals and CI logs.
        let fail = { (tree: YAMLTree) in DiagnosticsError(sorted(tree.diagnostics), sources: [file: redactingSecrets(text)]) }
        guard let root = tree.compose(text) else {
            if tree.diagnostics.isEmpty {
                tree.error("the manifest is empty; it needs 'version: 1' and 'targets:'", at: SourceLocation(file: file, line: 1, column: 1))
            }
            throw fail(tree)
        }
        guard let top = tree.entries(of: root, context: "the manifest") else { throw fail(tree) }
        // `x-…` keys are the user's own (a place to hold anchors, as in docker-compose): ignored.
        let suggested = tree.checkKeys(top.filter { !$0.key.hasPrefix("x-") }, known: topLevelKeys)
        func value(_ key: String) -> Node? { top.first { $0.key == key }?.value }

        // version
        if let v = value("version") {
            if let n = tree.int(v, for: "version"), n != 1 {
                tree.error("unsupported manifest version \(n); this assetbuild (\(AssetBuildVersion.current)) reads version 1", at: v)
            }
        } else if !suggested.contains("version") {
            tree.error("the manifest has no 'version'; add 'version: 1' at the top", at: root)
        }

        let provider = value("provider").map { parseProvider($0, tree: &tree) } ?? ProviderSettings()
        let cache = value("cache").map { CacheSettings.parse($0, tree: &tree) } ?? CacheSettings()
        let coordination = value("coordination").map { CoordinationSettings.parse($0, tree: &tree) } ?? CoordinationSettings()

        // vars first: every string below may use them.
        var rawVars: [(name: String, value: String, node: Node)] = []
        if let v = value("vars"), let entries = tree.entries(of: v, context: "'vars'") {
            for e in entries {
                guard TemplateParser.isIdentifier(e.key) else {
                    tree.error("var name '\(e.key)' may use letters, digits, '_' and '-' only", at: e.keyNode)
                    continue
                }
                guard case .scalar(let s) = e.value else {
                    tree.error("var '\(e.key)' must be a string, found \(tree.describe(e.value))", at: e.value)
                    continue
                }
                if s.style == .plain, ["", "~", "null"].contains(s.string) {
                    tree.error("var '\(e.key)' has no value; write '\(e.key): \"\"' for an empty string", at: e.keyNode)
                    continue
                }
                rawVars.append((e.key, s.string, e.value))
            }
        }
        let vars = TemplateParser.expandVars(rawVars, tree: &tree)
        let templates = TemplateParser(vars: vars)

        let defaults = value("defaults").map {
            TargetOptions.parse($0, context: "'defaults'", allowOutput: false, templates: templates, tree: &tree)
        } ?? TargetOptions()

        // targets
        var targets: [Target] = []
        var outputs: [(target: String, options: TargetOptions)] = []
        var files = LocalFilePolicy(allowAnywhere: allowOutside)
        files.allow(provider.allowOutside, directory: directory)
        let resolver = TargetResolver(provider: provider, directory: directory, files: files)
        let derived = DerivedTargetParser(templates: templates)
        let textDefaults = defaults.textDefaults(), imageDefaults = defaults.imageDefaults()
        // Every target and variant name written, also those that fail to load: naming one of them
        // is not "unknown target".
        var declaredNames: [String] = []
        if let t = value("targets") {
            if let entries = tree.entries(of: t, context: "'targets'") {
                if entries.isEmpty { tree.error("'targets' is empty; declare at least one target", at: t) }
                for e in entries {
                    declaredNames.append(e.key)
                    let location = tree.location(e.keyNode)
                    if !isValidTargetName(e.key) {
                        let fixed = suggestedTargetName(e.key)
                        let suggestion = fixed.map { "; did you mean '\($0)'?" } ?? ""
                        tree.error("target name '\(e.key)' must start with a lowercase letter or digit and use only a-z, 0-9, '_' and '-'\(suggestion)",
                                   at: e.keyNode)
                    }
                    if case .mapping(let m) = e.value, let sb = lookUp("storybook", in: m) {
                        targets += expandStorybook(e.key, location: location, target: e.value, storybook: sb,
                                                   defaults: defaults, resolver: resolver, templates: templates, tree: &tree)
                        declaredNames += declaredVariantNames(of: e.key, target: e.value)
                        continue
                    }
                    if case .mapping(let m) = e.value, lookUp("from", in: m) != nil {
                        if let t = derived.derivedTarget(name: e.key, location: location, node: e.value, tree: &tree) { targets.append(t) }
                        declaredNames += declaredVariantNames(of: e.key, target: e.value)
                        continue
                    }
                    let own = TargetOptions.parse(e.value, context: "target '\(e.key)'", allowOutput: true,
                                                  templates: templates, tree: &tree)
                    let isText = own.kind?.value == "text"
                    let options = own.overlaying(isText ? textDefaults : imageDefaults)
                    let kind = resolver.resolve(name: e.key, location: location, options: options, tree: &tree)
                    if let kind {
                        targets.append(Target(name: e.key, location: location, kind: kind, deps: options.deps ?? [],
                                              output: options.output))
                        outputs.append((e.key, options))
                    }
                    // Variants follow their target; a broken target's variants are still checked.
                    // (`written` holds every key of the mapping: most targets have no variants.)
                    if own.written.contains("variants"), let (keyNode, v) = DerivedTargetParser.variantsEntry(of: e.value) {
                        declaredNames += DerivedTargetParser.declaredVariantNames(of: e.key, variants: v)
                        if isText {
                            tree.error("'variants' are sizes and formats of an image target's pictures; '\(e.key)' is a text target", at: keyNode,
                                       notes: ["to draw its text on an image, declare a target with 'from: IMAGE' and an overlay {text: \"${\(e.key).FIELD}\", …}"])
                        } else {
                            let variants = derived.variants(of: e.key, node: v, tree: &tree)
                            if kind != nil { targets += variants }
                        }
                    }
                }
            }
        } else if !suggested.contains("targets") {
            tree.error("the manifest has no 'targets'; declare what to build under 'targets:'", at: root)
        }

        StorybookExpansion.fitPictureGroups(&targets, tree: &tree)
        DerivedTargets.settle(&targets, declared: Set(declaredNames))
        var checks = ManifestChecks(targets: targets, directory: directory, files: files)
        checks.declaredNames = declaredNames
        checks.run(tree: &tree)

        var manifest = Manifest(path: path, directory: directory, version: 1, provider: provider, targets: targets,
                                warnings: sorted(tree.diagnostics.filter { $0.severity != .error }), source: text, file: file, cache: cache)
        manifest.coordination = coordination
        let errors = tree.diagnostics.filter { $0.severity == .error }
        if !errors.isEmpty {
            // Report everything in one pass: cycles among the targets that did load, and their
            // reference files (reading them is fine here: nothing will be built).
            var extra = BuildGraph.cycles(in: manifest)
            if let fileChecks {
                extra += fileChecks(manifest) { files.refusal($0, directory: directory, what: "") == nil }
            }
            throw DiagnosticsError(sorted(tree.diagnostics + extra), sources: [file: redactingSecrets(text)])
        }
        return manifest
    }

    /// `m[key]`, asked only when a key of `m` is spelt `key`: Yams' subscript makes a node and
    /// compares it, tags resolved, with every key, which costs more than reading the spellings.
    private static func lookUp(_ key: String, in m: Node.Mapping) -> Node? {
        guard m.indices.contains(where: { m[$0].key.scalar?.string == key }) else { return nil }
        return m[key]
    }

    /// The variants a storybook or derived target writes (an error on either, which its parser reports).
    private static func declaredVariantNames(of name: String, target: Node) -> [String] {
        DerivedTargetParser.variantsEntry(of: target).map { DerivedTargetParser.declaredVariantNames(of: name, variants: $0.value) } ?? []
    }

    /// A `storybook:` target: its mapping may hold only `storybook`, `deps` and `description`.
    package static func expandStorybook(_ name: String, location: SourceLocation, target: Node, storybook: Node,
                                defaults: TargetOptions, resolver: TargetResolver, templates: TemplateParser,
                                tree: inout YAMLTree) -> [Target] {
        var deps: [Located<String>] = []
        if let entries = tree.entries(of: target, context: "target '\(name)'") {
            var elsewhere = Dictionary(
                uniqueKeysWithValues: TargetOptions.allKeys.filter { !["deps", "description"].contains($0) }.map {
                    ($0, "goes inside 'storybook:' for a storybook target (or is not a storybook option)")
                })
            elsewhere["variants"] = "cannot be set on a storybook; derive from its pictures with a target 'from: \(name).pictures' (or 'from: \"\(name).pictures[1]\"' for its first page)"
            tree.checkKeys(entries, known: ["storybook", "deps", "description"], elsewhere: elsewhere)
            if let d = entries.first(where: { $0.key == "deps" }) {
                deps = tree.stringList(d.value, for: "deps")?.map { Located($0.0, at: tree.location($0.1)) } ?? []
            }
        }
        return StorybookExpansion(resolver: resolver, templates: templates)
            .expand(name: name, location: location, node: storybook, defaults: defaults, deps: deps, tree: &tree)
    }

    public static func isValidTargetName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first,
              ("a"..."z").contains(first) || ("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }

    /// A valid name close to `name` (`Hero` → `hero`, `Launch Banner` → `launch-banner`), if any.
    package static func suggestedTargetName(_ name: String) -> String? {
        var out = ""
        for c in name.lowercased() {
            if c.isASCII, c.isLetter || c.isNumber || c == "_" || c == "-" { out.append(c) }
            else if c == " " || c == "." || c == "/" { out.append("-") }
        }
        while out.hasPrefix("-") || out.hasPrefix("_") { out.removeFirst() }
        return isValidTargetName(out) ? out : nil
    }

    /// The manifest text with the value of any `api_key:`/`key:` line replaced by asterisks.
    package static func redactingSecrets(_ text: String) -> String {
        // A password in a URL (`redis://:PASSWORD@host`) too.
        let text = text.replacingOccurrences(of: #"://[^/\s"']*@"#, with: "://********@", options: .regularExpression)
        guard text.contains("key") else { return text }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let r = line.range(of: #"^\s*-?\s*["']?(api_key|key|secret|token)["']?\s*:\s*"#, options: .regularExpression),
                  r.upperBound < line.endIndex else { return String(line) }
            return String(line[..<r.upperBound]) + "********"
        }.joined(separator: "\n")
    }

    /// Diagnostics in source order, duplicates (one default reported for many targets) dropped.
    package static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        let unique = diagnostics.filter { seen.insert($0).inserted }
        return unique.enumerated().sorted { a, b in
            switch (a.element.location, b.element.location) {
            case let (x?, y?): return x == y ? a.offset < b.offset : x < y
            case (nil, _?): return true
            case (_?, nil): return false
            case (nil, nil): return a.offset < b.offset
            }
        }.map(\.element)
    }

    private static func parseProvider(_ node: Node, tree: inout YAMLTree) -> ProviderSettings {
        var p = ProviderSettings()
        guard let entries = tree.entries(of: node, context: "'provider'") else { return p }
        tree.checkKeys(entries, known: providerKeys, elsewhere: [
            "api_key": "must not be in the manifest: the key is read from the environment (set provider.api_key_env to name the variable)",
            "key": "must not be in the manifest: the key is read from the environment (set provider.api_key_env to name the variable)",
        ])
        let knownModels = ModelCatalog.imageModels.map(\.id)
        func modelMap(_ v: Node, key: String) -> [(String, Node)] {
            guard let inner = tree.entries(of: v, context: "'provider.\(key)'") else { return [] }
            var out: [(String, Node)] = []
            for e in inner {
                if !e.key.hasPrefix("ep-"), ModelCatalog.model(id: e.key) == nil {
                    tree.error("unknown model '\(e.key)' in provider.\(key)\(SpellCheck.didYouMean(e.key, in: knownModels))", at: e.keyNode)
                    continue
                }
                out.append((e.key, e.value))
            }
            return out
        }
        for (key, _, v) in entries {
            switch key {
            case "name": if let n = tree.choice(v, for: key, ProviderName.allCases.map(\.rawValue)) { p.name = ProviderName(rawValue: n)! }
            case "base_url":
                if let s = tree.string(v, for: key) {
                    if s.hasPrefix("https://") || s.hasPrefix("http://") {
                        p.baseURL = s.hasSuffix("/") ? String(s.dropLast()) : s
                        p.baseURLLocation = tree.location(v)
                    } else {
                        let fix = s.contains("://") ? "" : "; did you mean 'https://\(s)'?"
                        tree.error("'base_url' must start with https:// (or http:// for a local server)\(fix)", at: v)
                    }
                }
            case "api_key_env":
                if let s = tree.string(v, for: key) {
                    if s.range(of: "^[A-Za-z_][A-Za-z0-9_]*$", options: .regularExpression) != nil {
                        p.apiKeyEnv = s
                    } else {
                        tree.error("'api_key_env' names an environment variable (such as ARK_API_KEY), not the key itself", at: v)
                    }
                }
            case "concurrency": if let n = tree.int(v, for: key, range: 1...256) { p.concurrency = n }
            case "rate_limits":
                if case .scalar = v, let n = tree.int(v, for: key, range: 1...1_000_000) {
                    p.defaultRateLimit = n
                } else {
                    for (model, n) in modelMap(v, key: key) {
                        if let n = tree.int(n, for: "rate_limits.\(model)", range: 1...1_000_000) { p.rateLimits[model] = n }
                    }
                }
            case "prices":
                for (model, n) in modelMap(v, key: key) {
                    if let d = tree.double(n, for: "prices.\(model)", range: 0...1000) { p.prices[model] = d }
                }
            case "budget": p.budget = tree.double(v, for: key, range: 0...1_000_000)
            case "endpoints":
                guard let inner = tree.entries(of: v, context: "'provider.endpoints'") else { break }
                for e in inner {
                    guard e.key.hasPrefix("ep-") else {
                        tree.error("endpoint ids start with 'ep-'; '\(e.key)' does not", at: e.keyNode)
                        continue
                    }
                    guard let model = tree.string(e.value, for: "endpoints.\(e.key)") else { continue }
                    guard ModelCatalog.model(id: model) != nil else {
                        tree.error("unknown model '\(model)'\(SpellCheck.didYouMean(model, in: knownModels))", at: e.value)
                        continue
                    }
                    p.endpoints[e.key] = model
                }
            case "max_attempts": if let n = tree.int(v, for: key, range: 1...20) { p.maxAttempts = n }
            case "max_retry_seconds": if let d = tree.double(v, for: key, range: 0...86_400) { p.maxRetrySeconds = d }
            case "stall_timeout": if let d = tree.double(v, for: key, range: 5...3600) { p.stallTimeoutSeconds = d }
            case LocalFilePolicy.manifestKey:
                for (folder, node) in tree.stringList(v, for: key) ?? [] {
                    if folder.isEmpty { tree.error("'\(key)' lists an empty folder name", at: node) } else { p.allowOutside.append(folder) }
                }
            default: break
            }
        }
        return p
    }
}
