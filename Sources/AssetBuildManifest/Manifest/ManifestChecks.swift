import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildDeriveSpec
/// Checks that need every target at once: references and deps name real targets, fields come from
/// text targets, outputs stay inside the build directory and never collide.
package struct ManifestChecks {
    package var targets: [Target]
    package var directory: String
    /// Which local files references may name.
    package var files = LocalFilePolicy()
    /// Every target name written in the manifest, also those that failed to load: suggestions
    /// ("did you mean 'mascot'?") must not depend on the target's own errors.
    package var declaredNames: [String] = []

    package mutating func run(tree: inout YAMLTree) {
        var byName: [String: Target] = [:]
        for t in targets { byName[t.name] = t }
        let names = Array(Set(targets.map(\.name) + declaredNames)).sorted()
        // A target declared but not loaded has its own errors: naming it is not "unknown target".
        let declared = Set(declaredNames)

        for t in targets {
            if case .image(let spec) = t.kind {
                checkReferences(of: t, spec: spec, byName: byName, names: names, declared: declared, tree: &tree)
                for field in spec.prompt.fieldReferences {
                    checkField(field, byName: byName, names: names, declared: declared, tree: &tree)
                }
            }
            if case .text(let spec) = t.kind {
                for field in spec.prompt.fieldReferences + (spec.system?.fieldReferences ?? []) {
                    checkField(field, byName: byName, names: names, declared: declared, tree: &tree)
                }
            }
            if case .derived(let spec) = t.kind {
                checkDerived(t, spec: spec, byName: byName, names: names, declared: declared, tree: &tree)
            }
            for d in t.deps where byName[d.value] == nil && !declared.contains(d.value) {
                tree.error("unknown target '\(d.value)' in deps\(SpellCheck.didYouMean(d.value, in: names))", at: d.location)
            }
        }
        checkOutputs(tree: &tree)
    }

    private func checkReferences(of t: Target, spec: ImageSpec, byName: [String: Target], names: [String],
                                 declared: Set<String>, tree: inout YAMLTree) {
        var expandedCount = 0
        var wholeGroups: [(Located<Reference>, Int)] = []
        for r in spec.references {
            if case .file(let path) = r.value.source,
               let refusal = files.refusal(path, directory: directory, what: "reference file") {
                tree.error(refusal.message, at: r.location, notes: refusal.notes)
            }
            guard case .target(let name, let index) = r.value.source else {
                expandedCount += 1
                continue
            }
            guard let other = byName[name] else {
                if declared.contains(name) { continue }
                let suggestion = SpellCheck.didYouMean(name, in: names)
                tree.error("unknown target '\(name)' in references\(suggestion)", at: r.location,
                           notes: suggestion.isEmpty ? ["a file reference needs a '/' or an extension, e.g. './\(name).png'"] : [])
                continue
            }
            let upstream: (images: Int, pixels: (Int, Int)?)
            switch other.kind {
            case .image(let otherSpec): upstream = (otherSpec.images, SizeSpec.parsePixels(otherSpec.size.value))
            case .derived(let d):
                guard let u = derivedUpstream(d, name: name, reference: r, spec: spec, tree: &tree) else { continue }
                upstream = u
            case .book:
                tree.error("'\(name)' is a book (HTML pages); references must be images (its pictures are '\(other.book!.pictures)')",
                           at: r.location)
                continue
            case .text:
                tree.error("'\(name)' is a text target; references must be images (use ${\(name).field} in the prompt instead)",
                           at: r.location)
                continue
            }
            // A fixed upstream's shape is known now; a preset's is checked when the image exists.
            if spec.modelIsKnown, let (w, h) = upstream.pixels {
                let problems = ImageModel.outputProblems(width: w, height: h, byteCount: nil, model: spec.modelInfo)
                if !problems.isEmpty {
                    tree.error("reference '\(r.value.spelling)' is \(w)x\(h) (the size of '\(name)'): \(problems.joined(separator: "; "))",
                               at: r.location,
                               notes: ["change the size of '\(name)', or reference another image"])
                }
            }
            if let index {
                if index < 1 || index > upstream.images {
                    let range = Self.range(of: DeriveSource(target: name, spelling: name), images: upstream.images)
                    tree.error("reference '\(r.value.spelling)' is out of range; \(range)", at: r.location)
                }
                expandedCount += 1
            } else {
                expandedCount += upstream.images
                if upstream.images > 1 { wholeGroups.append((r, upstream.images)) }
            }
        }
        // A reference to a whole group sends every image of it (checked only against a known model).
        if spec.modelIsKnown, let (group, size) = wholeGroups.first {
            let location = group.location
            let m = spec.modelInfo
            let name = group.value.spelling
            let note = "'\(name)' is a group of \(size) and sends all of them; pick one with \"\(name)[n]\" (quoted inside [ ])"
            if expandedCount > m.referenceCount.upperBound {
                tree.error("references expand to \(expandedCount) images; \(m.id) takes at most \(m.referenceCount.upperBound)",
                           at: location, notes: [note])
            } else if spec.images > 1, expandedCount + spec.images > ModelCatalog.maxReferencesPlusImages {
                tree.error("references expand to \(expandedCount) images + \(spec.images) to generate is \(expandedCount + spec.images); the service allows 15 in all, so at most \(ModelCatalog.maxReferencesPlusImages - expandedCount) images here",
                           at: location, notes: [note])
            }
        }
    }

    func checkField(_ field: Located<String>, byName: [String: Target], names: [String], declared: Set<String>,
                            tree: inout YAMLTree) {
        guard let other = byName[field.value] else {
            if declared.contains(field.value) { return }
            tree.error("unknown target '\(field.value)' in ${\(field.value).…}\(SpellCheck.didYouMean(field.value, in: names))",
                       at: field.location)
            return
        }
        if other.text == nil {
            tree.error("'${\(field.value).…}' reads a field of a text target, but '\(field.value)' is an image target", at: field.location,
                       notes: ["to use its picture, add '\(field.value)' to 'references' and call it 'image 1' (its position) in the prompt"])
        }
    }

    private func checkOutputs(tree: inout YAMLTree) {
        var owner: [String: String] = [:]
        var written: [(path: String, target: String, location: SourceLocation)] = []
        for t in targets {
            let location = t.output?.location ?? t.location
            let pattern = t.outputPattern
            if let output = t.output {
                if let problem = Self.pathProblem(output.value) {
                    tree.error("output '\(output.value)' \(problem)", at: location)
                    continue
                }
                if ["assetbuild.json", "assetbuild.lock"].contains(output.value.lowercased()) {
                    tree.error("output '\(output.value)' is reserved for assetbuild's build record; choose another name", at: location)
                    continue
                }
                if t.image != nil {
                    let lower = output.value.lowercased()
                    if !(lower.hasSuffix(".jpeg") || lower.hasSuffix(".jpg")) {
                        tree.error("output '\(output.value)' must end in .jpeg or .jpg: the service returns JPEG images", at: location)
                    }
                }
                if t.image != nil || t.derived != nil, t.requestedImages > 1, !pattern.contains("{n}") {
                    let ext = t.derived?.format.fileExtension ?? "jpeg"
                    tree.error("output '\(output.value)' of a group must contain '{n}' so each image gets its own file, e.g. 'img/\(t.name)-{n}.\(ext)'",
                               at: location)
                    continue
                }
            }
            for path in t.possibleOutputPaths {
                let key = path.lowercased()
                if let other = owner[key] {
                    tree.error("output '\(path)' is also written by target '\(other)'", at: location)
                    break
                }
                owner[key] = t.name
                written.append((path, t.name, location))
            }
        }
        // A file where another output needs a folder (`a.jpeg`, and `a.jpeg/1.jpeg` of a group).
        var reported = Set<String>()
        for (path, name, location) in written {
            var folder = ""
            for part in path.split(separator: "/").dropLast() {
                folder += (folder.isEmpty ? "" : "/") + part
                guard let other = owner[folder.lowercased()], other != name, reported.insert(name).inserted else { continue }
                tree.error("output '\(path)' needs a folder '\(folder)', but target '\(other)' writes a file there; give one of them another 'output:'",
                           at: location)
            }
        }
        // A target named 'assetbuild' with no `output:` would write the build record's name.
        if let clash = owner.keys.first(where: { $0 == "assetbuild.json" || $0 == "assetbuild.lock" }),
           let target = targets.first(where: { $0.output == nil && $0.possibleOutputPaths.map { $0.lowercased() }.contains(clash) }) {
            tree.error("target '\(target.name)' would write '\(clash)', which is reserved for assetbuild's build record; rename it or give it an 'output:'",
                       at: target.location)
        }
    }

    /// Why a relative output path is unusable, or nil when it is fine.
    package static func pathProblem(_ path: String) -> String? {
        if path.isEmpty { return "is empty" }
        if path.hasPrefix("/") || path.hasPrefix("~") { return "must be relative to the build directory" }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains("..") { return "must stay inside the build directory (no '..')" }
        if parts.contains(where: { $0.isEmpty || $0 == "." }) { return "has an empty or '.' path component" }
        if path.contains("\\") || path.contains("\0") { return "contains a backslash or NUL character" }
        return nil
    }
}
