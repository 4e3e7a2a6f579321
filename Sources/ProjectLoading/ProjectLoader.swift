import Foundation
import Basics
import ProjectModel
import Yams

/// Loads a project folder (native `strata.yml`, or a dbt project's `dbt_project.yml`) into a `Project`.
/// Deals only with files: no templating, no graph, no database.
public struct ProjectLoader: Sendable {
    /// `compat-check`: errors found after the project file is read (properties YAML, seeds, packages …) are returned
    /// with the warnings and the project keeps what did load, instead of stopping the load.
    public var keepsGoing = false

    public init(keepsGoing: Bool = false) { self.keepsGoing = keepsGoing }

    static let projectKeys = [
        "name", "version", "config-version", "profile", "model-paths", "seed-paths", "test-paths", "analysis-paths",
        "macro-paths", "template-paths", "contract-paths", "snapshot-paths", "docs-paths", "asset-paths", "target-path",
        "log-path", "packages-install-path", "clean-targets", "query-comment", "require-dbt-version", "quoting", "models",
        "seeds", "snapshots", "sources", "tests", "data_tests", "metrics", "vars", "on-run-start", "on-run-end", "dispatch",
        "flags", "dbt-cloud", "semantic-models", "saved-queries", "exposures", "restrict-access", "analyses",
    ]

    /// Loads the project in `directory`, reporting every problem found at once.
    public func load(directory: String) throws -> Project { try loadWithWarnings(directory: directory).0 }

    /// Loads and also returns warnings (unknown keys in a dbt project, properties of missing models).
    /// `loadingPackages: false` leaves installed packages out (what `strata deps` needs, and how a package itself
    /// is read: its own packages are the root project's business).
    /// `package` reads the folder as an installed package of the project at `package.root`: every path it records
    /// (files, locations in messages) is relative to that project and starts with `package.prefix`.
    public func loadWithWarnings(directory: String, loadingPackages: Bool = true,
                                 asPackageOf package: (root: String, prefix: String)? = nil) throws -> (Project, [Diagnostic]) {
        let own = URL(fileURLWithPath: directory).standardizedFileURL.path
        let fm = FileManager.default
        // `root` is what paths are relative to: the project itself, or the project the package is installed in
        let root = package?.root ?? own
        let prefix = package?.prefix ?? ""
        let strataFile = own + "/strata.yml"
        let dbtFile = own + "/dbt_project.yml"
        let (file, kind): (String, Project.Kind)
        if fm.fileExists(atPath: strataFile) { (file, kind) = (strataFile, .strata) }
        else if fm.fileExists(atPath: dbtFile) { (file, kind) = (dbtFile, .dbt) }
        else {
            throw Diagnostic(code: .noProject, "no project found in \(own): expected strata.yml or dbt_project.yml (create one with `strata init NAME`)")
        }
        let relFile = (file as NSString).lastPathComponent
        let text = try readText(file, display: relFile)
        var bag = DiagnosticBag()
        let reader = YAMLReader(path: prefix + displayPath(file, root: own))
        guard let doc = try reader.parse(text) else {
            throw Diagnostic(code: .missingName, "\(relFile) is empty: it needs at least `name:`", at: SourceLocation(file: reader.path, line: 1, column: 1))
        }
        var project = Project(name: "", kind: kind, root: root, projectFile: relFile)
        // dbt's default macro folder is macros/ (Strata's own is templates/)
        if kind == .dbt { project.paths.templates = ["macros"] }
        var nameSeen = false
        for (key, node, loc) in try reader.mapping(doc, what: relFile) {
            bag.capture {
                switch key {
                case "name":
                    project.name = try reader.string(node, what: "name")
                    nameSeen = true
                    if project.name.isEmpty || project.name.contains(where: { !($0.isLetter || $0.isNumber || $0 == "_") }) {
                        throw Diagnostic(code: .invalidProjectName, "project name '\(project.name)' must be letters, digits and underscores", at: reader.location(node))
                    }
                case "profile": project.profileName = try reader.string(node, what: "profile")
                case "model-paths": project.paths.models = try reader.stringList(node, what: key)
                case "seed-paths": project.paths.seeds = try reader.stringList(node, what: key)
                case "macro-paths", "template-paths": project.paths.templates = try reader.stringList(node, what: key)
                case "contract-paths": project.paths.contracts = try reader.stringList(node, what: key)
                case "test-paths": project.paths.tests = try reader.stringList(node, what: key)
                case "snapshot-paths": project.paths.snapshots = try reader.stringList(node, what: key)
                case "target-path": project.paths.target = try reader.string(node, what: key)
                case "log-path": project.paths.logs = try reader.string(node, what: key)
                case "clean-targets": project.paths.cleanTargets = try reader.stringList(node, what: key)
                case "packages-install-path": project.paths.packages = try reader.string(node, what: key)
                case "dispatch": project.dispatch = try dispatchOrders(node, reader: reader)
                case "quoting":
                    for (part, value, partLocation) in try reader.mapping(node, what: "quoting") {
                        guard let quoted = reader.value(value).asBool else {
                            throw Diagnostic(code: .wrongYAMLShape, "quoting: \(part) must be true or false", at: reader.location(value))
                        }
                        switch part {
                        case "database": project.quoting.database = quoted
                        case "schema": project.quoting.schema = quoted
                        case "identifier": project.quoting.identifier = quoted
                        case "column": break   // seeds' column names: always quoted by Strata, as dbt-postgres quotes them
                        default: throw reader.unknownKey(part, at: partLocation, known: ["database", "schema", "identifier", "column"], in: "quoting")
                        }
                    }
                case "require-dbt-version":
                    if case .sequence = node { project.requiredDbtVersion = Located(try reader.stringList(node, what: key), at: reader.location(node)) }
                    else { project.requiredDbtVersion = Located([try reader.string(node, what: key)], at: reader.location(node)) }
                case "vars":
                    if case .dict(let entries) = reader.value(node) {
                        for e in entries { project.vars[e.key] = e.value }
                    }
                case "on-run-start", "on-run-end":
                    // a string or a list of strings, each a templated SQL statement
                    var hooks: [Located<String>] = []
                    if case .scalar = node {
                        if case .string(let sql) = reader.value(node) { hooks.append(Located(sql, at: reader.location(node))) }
                    } else {
                        for item in try reader.sequence(node, what: key) { hooks.append(Located(try reader.string(item, what: "\(key) hook"), at: reader.location(item))) }
                    }
                    if key == "on-run-start" { project.onRunStart = hooks } else { project.onRunEnd = hooks }
                case "models": project.modelConfigs = try folderConfig(node, reader: reader)
                case "seeds": project.seedConfigs = try folderConfig(node, reader: reader)
                case "tests", "data_tests": project.testConfigs = try folderConfig(node, reader: reader)
                case "snapshots": project.snapshotConfigs = try folderConfig(node, reader: reader)
                default:
                    if !Self.projectKeys.contains(key) {
                        throw reader.unknownKey(key, at: loc, known: Self.projectKeys, in: relFile, severity: kind == .strata ? .error : .warning)
                    }
                }
            }
        }
        if !prefix.isEmpty {
            let p = project.paths
            (project.paths.models, project.paths.seeds, project.paths.templates) = (p.models.map { prefix + $0 }, p.seeds.map { prefix + $0 }, p.templates.map { prefix + $0 })
            (project.paths.tests, project.paths.snapshots, project.paths.contracts) = (p.tests.map { prefix + $0 }, p.snapshots.map { prefix + $0 }, p.contracts.map { prefix + $0 })
        }
        if !nameSeen {
            bag.append(Diagnostic(code: .missingName, "\(relFile) has no `name:`", at: SourceLocation(file: reader.path, line: 1, column: 1)))
        }
        // Templates
        for path in files(under: project.paths.templates, root: root, extensions: ["sql", "jinja", "j2"]) {
            if let t = bag.capture({ try readText(root + "/" + path, display: path) }) {
                project.templateFiles.append(TextFile(path: path, text: t))
            }
        }
        // Properties YAML under model and seed folders
        var modelProps: [String: ModelProperties] = [:]
        var seedProps: [String: ModelProperties] = [:]
        // Properties files are independent: parse them on all cores.
        let propertyFiles = files(under: project.paths.models + project.paths.seeds + project.paths.snapshots, root: root, extensions: ["yml", "yaml"])
        let parsedFiles = propertyFiles.concurrentMap { path in
            Result { () throws -> PropertiesParser.Result in
                let yamlText = try readText(root + "/" + path, display: path)
                return try PropertiesParser(reader: YAMLReader(path: path)).parse(yamlText)
            }
        }
        for result in parsedFiles {
            let parsed = bag.capture { try result.get() }
            if let props = parsed {
                bag.append(contentsOf: props.diagnostics)
                project.sources += props.sources
                project.yamlSnapshots += props.snapshots
                project.testDeclarations += props.tests
                project.unitTests += props.unitTests
                project.exposures += props.exposures
                for (name, p) in props.models {
                    if let existing = modelProps[name] {
                        bag.append(Diagnostic(code: .duplicateProperties, "model '\(name)' has properties in two places", at: p.location,
                                              notes: [.init("also described here", at: existing.location)]))
                    }
                    modelProps[name] = p
                }
                for (name, p) in props.seeds { seedProps[name] = p }
            }
        }
        // Models; a versioned model's versions are files named `<name>_v<v>` (or their `defined_in`)
        var versionFiles: [String: (model: String, version: ModelVersion, latest: String, properties: ModelProperties)] = [:]
        for (name, p) in modelProps where !p.versions.isEmpty {
            let latest = p.latestVersion ?? p.versions.map(\.v).max { a, b in
                if let x = Double(a), let y = Double(b) { return x < y }
                return a < b
            }!
            for v in p.versions {
                var versioned = p
                versioned.columns = v.columns
                versioned.config = p.config + v.config
                versioned.versions = []
                versionFiles[v.definedIn ?? "\(name)_v\(v.v)"] = (name, v, latest, versioned)
            }
        }
        var modelLocations: [String: String] = [:]
        for folder in project.paths.models {
            let paths = files(under: [folder], root: root, extensions: ["sql"])
            let texts = paths.concurrentMap { path in Result { try readText(root + "/" + path, display: path) } }
            for (path, text) in zip(paths, texts) {
                guard let sql = bag.capture({ try text.get() }) else { continue }
                let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
                if let other = modelLocations[name] {
                    bag.append(Diagnostic(code: .duplicateModel, "two models are named '\(name)': model names must be unique",
                                          at: SourceLocation(file: path, line: 1, column: 1), notes: [.init("the other one", at: SourceLocation(file: other, line: 1, column: 1))]))
                    continue
                }
                modelLocations[name] = path
                let inFolder = String(path.dropFirst(folder.count + 1))
                if let versioned = versionFiles[name] {
                    var file = ModelFile(name: versioned.model, path: path, pathInModels: inFolder, rawSQL: sql, properties: versioned.properties)
                    (file.version, file.latestVersion) = (versioned.version.v, versioned.latest)
                    project.models.append(file)
                    continue
                }
                project.models.append(ModelFile(name: name, path: path, pathInModels: inFolder, rawSQL: sql, properties: modelProps[name]))
            }
        }
        for (file, versioned) in versionFiles.sorted(by: { $0.key < $1.key }) where modelLocations[file] == nil {
            bag.append(Diagnostic(code: .propertiesForMissingNode, "version \(versioned.version.v) of model '\(versioned.model)' is defined in \(file).sql, which does not exist (set `defined_in:` to the file's name)",
                                  at: versioned.version.location))
        }
        for (name, p) in modelProps where modelLocations[name] == nil && p.versions.isEmpty {
            var msg = "properties describe model '\(name)', but there is no models/**/\(name).sql"
            if let s = Suggestion.closest(to: name, in: modelLocations.keys) { msg += "; did you mean '\(s)'?" }
            bag.append(Diagnostic(.warning, code: .propertiesForMissingNode, msg, at: p.location))
        }
        // Under the test paths: singular tests, generic test definitions in tests/generic (templates), and unit-test
        // fixtures in tests/fixtures (CSV and SQL files that unit tests name with `fixture:`)
        var fixtures: [String: [String: String]] = [:]   // format → name → path
        for path in files(under: project.paths.tests, root: root, extensions: ["sql", "csv"]) {
            let folder = project.paths.tests.first { path.hasPrefix($0 + "/") } ?? ""
            if path.dropFirst(folder.count).hasPrefix("/fixtures/") {
                let file = (path as NSString).lastPathComponent as NSString
                fixtures[file.pathExtension.lowercased(), default: [:]][file.deletingPathExtension] = path
                continue
            }
            guard path.hasSuffix(".sql"), let t = bag.capture({ try readText(root + "/" + path, display: path) }) else { continue }
            if path.contains("/generic/") { project.templateFiles.append(TextFile(path: path, text: t)) }
            else { project.singularTests.append(TextFile(path: path, text: t)) }
        }
        for (i, test) in project.unitTests.enumerated() {
            bag.capture { project.unitTests[i] = try resolveFixtures(test, fixtures: fixtures, root: root) }
        }
        // Snapshots
        for path in files(under: project.paths.snapshots, root: root, extensions: ["sql"]) {
            if let t = bag.capture({ try readText(root + "/" + path, display: path) }) {
                project.snapshotFiles.append(TextFile(path: path, text: t))
            }
        }
        // Seeds
        for folder in project.paths.seeds {
            for path in files(under: [folder], root: root, extensions: ["csv"]) {
                let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
                project.seeds.append(SeedFile(name: name, path: path, pathInSeeds: String(path.dropFirst(folder.count + 1)), properties: seedProps[name]))
            }
        }
        // Docs blocks: Markdown files under the model and macro folders (dbt's docs-paths default)
        let docsBlock = try NSRegularExpression(pattern: #"\{%-?\s*docs\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}(.*?)\{%-?\s*enddocs\s*-?%\}"#,
                                                options: [.dotMatchesLineSeparators])
        for path in files(under: project.paths.models + project.paths.templates, root: root, extensions: ["md"]) {
            guard let text = bag.capture({ try readText(root + "/" + path, display: path) }) else { continue }
            let source = SourceFile(path: path, text: text)
            for m in docsBlock.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let nameRange = Range(m.range(at: 1), in: text), let bodyRange = Range(m.range(at: 2), in: text), let whole = Range(m.range, in: text) else { continue }
                let name = String(text[nameRange])
                let location = source.location(ofUTF8Offset: text.utf8.distance(from: text.utf8.startIndex, to: whole.lowerBound))
                if let other = project.docBlocks[name] {
                    bag.append(Diagnostic(code: .duplicateDocsBlock, "two docs blocks are named '\(name)'", at: location, notes: [.init("the other one", at: other.location)]))
                    continue
                }
                project.docBlocks[name] = Located(String(text[bodyRange]).trimmedWhitespace, at: location)
            }
        }
        // selectors.yml (the root project's only, as in dbt)
        if package == nil, fm.fileExists(atPath: own + "/selectors.yml") {
            bag.capture { project.selectors = try readSelectors(own + "/selectors.yml", display: "selectors.yml") }
        }
        // Contracts
        var contractFiles: [String: String] = [:]
        for path in files(under: project.paths.contracts, root: root, extensions: ["yml", "yaml"]) {
            guard let text = bag.capture({ try readText(root + "/" + path, display: path) }) else { continue }
            let base = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            guard let contract = bag.capture({ try ContractParser(reader: YAMLReader(path: path)).parse(text, defaultName: base) }), let c = contract else { continue }
            if let other = contractFiles[c.name] {
                bag.append(Diagnostic(code: .duplicateContract, "two contracts are named '\(c.name)'", at: c.location ?? SourceLocation(file: path, line: 1, column: 1),
                                      notes: [.init("the other one", at: SourceLocation(file: other, line: 1, column: 1))]))
                continue
            }
            contractFiles[c.name] = path
            project.contracts.append(c)
        }
        if let required = project.requiredDbtVersion, let w = Self.dbtVersionWarning(required, what: "project '\(project.name)'") { bag.append(w) }
        if loadingPackages { loadPackages(into: &project, bag: &bag) }
        if !keepsGoing { try bag.throwIfErrors() }
        return (project, bag.diagnostics)
    }

    /// dbt's selectors.yml: `selectors: - name:, description:, default:, definition:`.
    func readSelectors(_ path: String, display: String) throws -> [SelectorDefinition] {
        let reader = YAMLReader(path: display)
        guard let doc = try reader.parse(try readText(path, display: display)) else { return [] }
        var out: [SelectorDefinition] = []
        var bag = DiagnosticBag()
        for (key, node, location) in try reader.mapping(doc, what: display) {
            guard key == "selectors" else {
                bag.append(Diagnostic(code: .invalidSelectors, "unknown key '\(key)' in selectors.yml (it has `selectors:`)", at: location))
                continue
            }
            guard case .sequence(let items) = node else {
                bag.append(Diagnostic(code: .invalidSelectors, "`selectors:` is a list of selectors", at: location))
                continue
            }
            for item in items {
                bag.capture {
                    var name: String?, description: String?, isDefault = false, definition: ConfigValue?
                    for (k, v, l) in try reader.mapping(item, what: "a selector") {
                        switch k {
                        case "name": name = try reader.string(v, what: "name")
                        case "description": description = try reader.string(v, what: "description")
                        case "default": isDefault = reader.value(v).asBool ?? false
                        case "definition": definition = reader.value(v)
                        default: throw Diagnostic(code: .invalidSelectors, "unknown key '\(k)' in a selector (name, description, default, definition)", at: l)
                        }
                    }
                    guard let name, let definition else {
                        throw Diagnostic(code: .invalidSelectors, "a selector needs `name:` and `definition:`", at: reader.location(item))
                    }
                    if out.contains(where: { $0.name == name }) {
                        throw Diagnostic(code: .invalidSelectors, "two selectors are named '\(name)'", at: reader.location(item))
                    }
                    out.append(SelectorDefinition(name: name, description: description, isDefault: isDefault, definition: definition, location: reader.location(item)))
                }
            }
        }
        let defaults = out.filter(\.isDefault)
        if defaults.count > 1 {
            bag.append(Diagnostic(code: .invalidSelectors, "only one selector may be `default: true` (\(defaults.map(\.name).joined(separator: ", ")) are)", at: defaults[1].location))
        }
        try bag.throwIfErrors()
        return out
    }

    /// A unit test's `fixture:` rows, read from the test paths' fixtures folder (dbt's `tests/fixtures/<name>.csv|sql`).
    func resolveFixtures(_ test: UnitTestDeclaration, fixtures: [String: [String: String]], root: String) throws -> UnitTestDeclaration {
        func resolve(_ data: UnitTestDeclaration.Data) throws -> UnitTestDeclaration.Data {
            guard case .fixture(let name, let format, let location) = data else { return data }
            guard let path = fixtures[format]?[name] else {
                var message = "unit test '\(test.name)': no fixture '\(name)' (tests/fixtures/\(name).\(format))"
                if let s = Suggestion.closest(to: name, in: fixtures[format]?.keys.map { $0 } ?? []) { message += "; did you mean '\(s)'?" }
                throw Diagnostic(code: .invalidUnitTest, message, at: location)
            }
            let text = try readText(root + "/" + path, display: path)
            return format == "sql" ? .sql(text) : .rows(PropertiesParser.csvRows(text))
        }
        var test = test
        test.given = try test.given.map { ($0.input, try resolve($0.data)) }
        test.expect = try resolve(test.expect)
        return test
    }

    func readText(_ absolute: String, display: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: absolute) else {
            throw Diagnostic(code: .unreadableFile, "cannot read \(display)")
        }
        guard let s = String(data: data, encoding: .utf8) else {
            throw Diagnostic(code: .unreadableFile, "\(display) is not valid UTF-8", at: SourceLocation(file: display, line: 1, column: 1))
        }
        return s
    }

    func displayPath(_ absolute: String, root: String) -> String {
        absolute.hasPrefix(root + "/") ? String(absolute.dropFirst(root.count + 1)) : absolute
    }

    /// Files under the given folders (relative to root) with one of the extensions, sorted, as relative paths.
    func files(under folders: [String], root: String, extensions: Set<String>) -> [String] {
        var out: [String] = []
        let fm = FileManager.default
        for folder in folders {
            let base = root + "/" + folder
            guard let e = fm.enumerator(atPath: base) else { continue }
            while let rel = e.nextObject() as? String {
                let ext = (rel as NSString).pathExtension.lowercased()
                guard extensions.contains(ext) else { continue }
                if rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
                out.append(folder + "/" + rel)
            }
        }
        return out.sorted()
    }

    /// `models:`/`seeds:` trees: `+key` entries are configs, mappings under other keys are subfolders.
    func folderConfig(_ node: Node, reader: YAMLReader) throws -> FolderConfig {
        var fc = FolderConfig()
        for (key, child, loc) in try reader.mapping(node, what: "folder configuration") {
            if key.hasPrefix("+") {
                fc.entries.append(ConfigEntry(String(key.dropFirst()), reader.value(child), at: loc))
            } else if case .mapping = child, !NodeConfigKeys.dictValued.contains(key) {
                fc.children[key] = try folderConfig(child, reader: reader)
            } else {
                fc.entries.append(ConfigEntry(key, reader.value(child), at: loc))
            }
        }
        return fc
    }
}

/// Config keys whose values are themselves mappings (so they are not mistaken for folders).
enum NodeConfigKeys {
    static let dictValued: Set<String> = ["meta", "column_types", "persist_docs", "grants", "contract", "docs", "quoting", "labels", "surrogate_key"]
}


extension ProjectLoader {
    /// Parses `--vars '{key: value}'` (YAML or JSON).
    public static func parseVars(_ text: String) throws -> [String: ConfigValue] {
        let reader = YAMLReader(path: "--vars")
        guard let node = try reader.parse(text) else { return [:] }
        guard case .dict(let entries) = reader.value(node) else {
            throw Diagnostic(code: .invalidVars, "--vars must be a YAML or JSON mapping, like '{key: value}'")
        }
        var out: [String: ConfigValue] = [:]
        for e in entries { out[e.key] = e.value }
        return out
    }
}
