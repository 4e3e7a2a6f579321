import Foundation
import Basics
import ProjectModel
import Templating

extension Compiler {
    /// Globals every render shares, and the project's macros. Macro files that do not parse, and macros defined
    /// twice, are errors; when parsing (`parseOnly`) they go to `problems` and the rest is kept.
    func makeEnvironment(problems: inout DiagnosticBag) throws -> Environment {
        var env = Environment()
        env.recoversFromErrors = options.parseOnly
        let target = TargetObject(options.target, profileName: options.profileName)
        let vars = effectiveVars()
        let environ = options.environment
        env.globals["target"] = .object(target)
        env.globals["project_name"] = .string(project.name)
        env.globals["var"] = .function(varFunction(vars))
        env.globals["env_var"] = .function(.envVar(environ, allowSecrets: false))
        // the dbt version whose behaviour Strata follows
        env.globals["dbt_version"] = .string("1.12.6")
        // dbt's run flags that templates read
        env.globals["flags"] = .dict([("WHICH", .string(options.command)), ("FULL_REFRESH", .bool(options.fullRefresh)), ("STORE_FAILURES", .bool(false)),
                                      ("WARN_ERROR", .bool(false)), ("EMPTY", .bool(options.empty)), ("FAIL_FAST", .bool(false))])
        env.globals["exceptions"] = .dict([
            ("raise_compiler_error", .function(Function("raise_compiler_error") { args, site in
                throw site.error(args.positional.first?.stringValue ?? "compiler error", code: .compilerErrorRaised)
            })),
            ("raise_not_implemented", .function(Function("raise_not_implemented") { args, site in
                throw site.error("not implemented: \(args.positional.first?.stringValue ?? "")", code: .compilerErrorRaised)
            })),
            // dbt prints the warning and goes on; Strata says where it was raised
            ("warn", .function(Function("warn") { [log = options.log] args, site in
                log("\(site.location): warning: \(args.positional.first?.stringValue ?? "")")
                return .string("")
            })),
        ])
        var bag = DiagnosticBag()
        func parse(_ files: [TextFile]) -> [Template] {
            files.compactMap { f in bag.capture { try Template(source: SourceFile(path: f.path, text: f.text), stripFile: true) } }
        }
        let templates = parse(project.templateFiles)
        let packages = project.packages.map { ($0.name, parse($0.templateFiles)) }
        try barrier(&bag, into: &problems)
        bag.capture { try env.addMacros(from: templates) }
        // the root project's own name is a namespace too; each package's macros are callable as `package.macro()`
        var own: [String: MacroDefinition] = [:]
        for m in templates.flatMap(\.macros) { own[m.kind == "test" ? "test_\(m.name)" : m.name] = m }
        env.namespacedMacros[project.name] = own
        for (name, packageTemplates) in packages where name != project.name {
            bag.capture { try env.addMacros(from: packageTemplates, package: name) }
        }
        try barrier(&bag, into: &problems)
        // dbt's generic tests, unless the project defines its own of the same name
        for m in try Template(path: "<builtin tests>", text: BuiltinTests.source).macros where env.macros["test_\(m.name)"] == nil {
            env.macros["test_\(m.name)"] = m
        }
        let installed = project.packages.map(\.name).sorted()
        env.lookupDescription = "the macros of the root project '\(project.name)' and dbt's; "
            + (installed.isEmpty ? "no packages are installed" : "packages' macros are called as package.macro(), installed: \(installed.joined(separator: ", "))")
        env.hints = KnownPackages.hints(installed: Set(installed))
        // adapter.dispatch looks macros up by name; it sees the macros, not the globals added below
        let macroEnvironment = env
        for (k, v) in dbtContext().globals(macros: { macroEnvironment }) { env.globals[k] = v }
        // dbt's global macros are callable bare too, below the project's own macros
        for (k, f) in DbtContext.crossDatabaseMacros { env.fallbackGlobals[k] = .function(f) }
        return env
    }

    /// The vars a node of `package` (the root project when nil) sees, as dbt scopes them: a package's own
    /// `vars:` (top-level, then under its name), then the root project's (top-level, then under the node's package
    /// name: `vars: {my_project: {k: v}}`, `vars: {dbt_date: {k: v}}`), then `--vars` over all.
    func effectiveVars(package: String? = nil) -> [String: ConfigValue] {
        let owner = package ?? project.name
        var vars: [String: ConfigValue] = [:]
        func add(_ layer: [String: ConfigValue]) {
            vars.merge(layer) { $1 }
            if case .dict(let scoped)? = layer[owner] { for e in scoped { vars[e.key] = e.value } }
        }
        if let installed = project.package(named: package) { add(installed.vars) }
        add(project.vars)
        return vars.merging(options.vars) { $1 }
    }

    /// The environment a node of an installed package renders in, as dbt builds its macro namespace: the package's
    /// own macros first for bare names (then the root project's and dbt's), and its vars.
    func packageEnvironment(_ base: Environment, package: String) -> Environment {
        var env = base
        for (name, macro) in base.namespacedMacros[package] ?? [:] { env.macros[name] = macro }
        env.globals["var"] = .function(varFunction(effectiveVars(package: package)))
        env.lookupDescription = "the macros of package '\(package)', then " + (base.lookupDescription ?? "the root project's")
        return env
    }

    /// `var(name, default)` over `vars`.
    func varFunction(_ vars: [String: ConfigValue]) -> Function {
        Function("var") { args, site in
            guard let name = args.argument(0, "name")?.asString else { throw site.error("var() needs a variable name", code: .missingVar) }
            if let v = vars[name] { return Value(v) }
            if let d = args.argument(1, "default") { return d }
            throw site.error("required var '\(name)' is not set: add it under `vars:` in the project file or pass --vars '{\(name): …}'", code: .missingVar)
        }
    }

    /// dbt's context for this project: its vars, and how dispatch searches its packages.
    func dbtContext() -> DbtContext {
        var context = DbtContext(options: options, vars: effectiveVars())
        context.dispatch = DispatchSearch(rootProject: project.name, orders: Dictionary(project.dispatch.map { ($0.namespace, $0.searchOrder) }, uniquingKeysWith: { $1 }),
                                          packages: Set(project.packages.map(\.name)))
        return context
    }

    /// The dbt-style node description passed to generate_schema_name/generate_alias_name.
    func nodeValue(name: String, kind: NodeKind, path: String, config: [String: ConfigValue], package: String? = nil) -> Value {
        .dict([("name", .string(name)), ("resource_type", .string(kind.rawValue)), ("original_file_path", .string(project.pathInPackage(path, package: package))),
               ("package_name", .string(package ?? project.name)), ("config", .dict(config.sorted { $0.key < $1.key }.map { ($0.key, Value($0.value)) }))])
    }

    /// dbt's default: no custom schema → target schema; custom → `<target>_<custom>`. A project macro overrides it.
    func schemaName(custom: String?, node: Value, environment: Environment, location: SourceLocation?) throws -> String {
        if environment.macros["generate_schema_name"] != nil {
            return try callNamingMacro("generate_schema_name", custom, node, environment)
        }
        guard let custom = custom?.trimmingCharacters(in: .whitespaces), !custom.isEmpty else { return options.target.schema }
        return "\(options.target.schema)_\(custom)"
    }

    func aliasName(custom: String?, name: String, node: Value, environment: Environment) throws -> String {
        if environment.macros["generate_alias_name"] != nil {
            return try callNamingMacro("generate_alias_name", custom, node, environment)
        }
        return custom ?? name
    }

    private func callNamingMacro(_ macro: String, _ custom: String?, _ node: Value, _ environment: Environment) throws -> String {
        let t = try Template(path: "<\(macro)>", text: "{{ \(macro)(__strata_custom, __strata_node) }}")
        let out = try Renderer.render(t, environment: environment, globals: ["__strata_custom": custom.map { .string($0) } ?? Value.none, "__strata_node": node])
        return out.text.trimmedWhitespace
    }
}
