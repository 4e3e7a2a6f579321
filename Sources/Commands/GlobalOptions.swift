import ArgumentParser
import Basics
import DependencyGraph

extension IndirectSelection: ExpressibleByArgument {}

/// Options shared by commands that load a project.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("project-dir"), help: "The project folder (default: the current folder).")
    var projectDir: String = "."

    @Option(name: .customLong("profiles-dir"), help: "Folder holding profiles.yml (searched before DBT_PROFILES_DIR, the project and ~/.strata).")
    var profilesDir: String?

    @Option(name: .customLong("target"), help: "The profile output to use (default: the profile's `target:`).")
    var target: String?

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL or libpq keyword string; also STRATA_DATABASE_URL.")
    var databaseURL: String?

    @Option(name: .customLong("schema"), help: "Target schema (default: the profile's schema, or public).")
    var schema: String?

    @Option(name: .customLong("vars"), help: "Project variables as YAML, e.g. '{start_date: 2024-01-01}'.")
    var vars: String?

    @Option(name: .customLong("threads"), help: "Parallel workers, each with its own connection (also DBT_THREADS, STRATA_THREADS).")
    var threads: Int?

    @Option(name: .customLong("target-path"), help: "Where artifacts go instead of the project's target-path (also DBT_TARGET_PATH, STRATA_TARGET_PATH).")
    var targetPath: String?

    /// The options with what dbt's environment variables set for flags not given: DBT_TARGET, DBT_THREADS,
    /// DBT_TARGET_PATH (or their STRATA_ spellings).
    func withEnvironment(_ environment: [String: String]) throws -> GlobalOptions {
        var o = self
        func value(_ name: String) -> String? { environment["STRATA_" + name] ?? environment["DBT_" + name] }
        if o.target == nil { o.target = value("TARGET") }
        if o.targetPath == nil { o.targetPath = value("TARGET_PATH") }
        if o.threads == nil, let text = value("THREADS") {
            guard let n = Int(text), n >= 1 else { throw Diagnostic(code: .invalidEnvironment, "DBT_THREADS (or STRATA_THREADS) must be a whole number of at least 1, not '\(text)'") }
            o.threads = n
        }
        return o
    }

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
    }
}

/// `--select` / `--exclude`, shared by commands that pick nodes.
struct SelectionOptions: ParsableArguments {
    @Option(name: [.customShort("s"), .customLong("select"), .customShort("m"), .customLong("models")], parsing: .upToNextOption,
            help: "Nodes to include (dbt selector syntax; -m/--models as in older dbt).")
    var select: [String] = []

    @Option(name: .customLong("exclude"), parsing: .upToNextOption, help: "Nodes to leave out.")
    var exclude: [String] = []

    @Option(name: .customLong("selector"), help: "A selector of selectors.yml, instead of --select (the one with `default: true` applies when nothing is selected).")
    var selector: String?

    @Option(name: .customLong("indirect-selection"),
            help: "Which tests join for the nodes selected: eager (any node they read; default), cautious (all), buildable, empty (also DBT_INDIRECT_SELECTION).")
    var indirectSelection: IndirectSelection?

    @Option(name: .customLong("resource-type"), parsing: .upToNextOption,
            help: "Only nodes of these types: model, seed, snapshot, test, unit_test, source, exposure.")
    var resourceTypes: [String] = []

    @Option(name: .customLong("exclude-resource-type"), parsing: .upToNextOption, help: "Leave out nodes of these types.")
    var excludeResourceTypes: [String] = []

    @Option(name: .customLong("state"), help: "The artifacts of a previous run (a target/ folder), for state: and result: selectors (also DBT_STATE).")
    var state: String?

    @Flag(name: .customLong("defer"), inversion: .prefixedNo,
          help: "Refs to unselected nodes that do not exist in the target read the --state run's relations (also DBT_DEFER).")
    var deferring: Bool?

    @Option(name: .customLong("defer-state"), help: "The artifacts --defer reads, when not those of --state (also DBT_DEFER_STATE).")
    var deferState: String?

    @Flag(name: .customLong("favor-state"), inversion: .prefixedNo,
          help: "With --defer, read the state's relation even when the node exists in the target (also DBT_FAVOR_STATE).")
    var favorState: Bool?

    func validate() throws {
        if selector != nil, !select.isEmpty { throw ValidationError("--selector and --select cannot be used together: put the criteria in the selector, or select without it") }
        for type in resourceTypes + excludeResourceTypes where !SelectionRequest.resourceTypeNames.contains(type) {
            throw ValidationError("'\(type)' is not a resource type: \(SelectionRequest.resourceTypeNames.joined(separator: ", "))")
        }
    }

    /// What DependencyGraph selects from.
    var request: SelectionRequest {
        SelectionRequest(select: select, exclude: exclude, selector: selector, indirect: indirectSelection ?? .eager,
                         resourceTypes: Set(resourceTypes), excludeResourceTypes: Set(excludeResourceTypes))
    }

    /// The flags as given, else as the environment sets them (STRATA_* or DBT_*).
    func withEnvironment(_ environment: [String: String]) throws -> SelectionOptions {
        var o = self
        func value(_ name: String) -> String? { environment["STRATA_" + name] ?? environment["DBT_" + name] }
        func flag(_ name: String) throws -> Bool? {
            guard let text = value(name) else { return nil }
            switch text.lowercased() {
            case "1", "true", "yes", "on": return true
            case "0", "false", "no", "off", "": return false
            default: throw Diagnostic(code: .invalidEnvironment, "DBT_\(name) (or STRATA_\(name)) must be true or false, not '\(text)'")
            }
        }
        if o.indirectSelection == nil, let text = value("INDIRECT_SELECTION") {
            guard let mode = IndirectSelection(rawValue: text.lowercased()) else {
                throw Diagnostic(code: .invalidEnvironment, "DBT_INDIRECT_SELECTION (or STRATA_INDIRECT_SELECTION) must be eager, cautious, buildable or empty, not '\(text)'")
            }
            o.indirectSelection = mode
        }
        if o.state == nil { o.state = value("STATE") }
        if o.deferState == nil { o.deferState = value("DEFER_STATE") }
        if o.deferring == nil { o.deferring = try flag("DEFER") }
        if o.favorState == nil { o.favorState = try flag("FAVOR_STATE") }
        if o.deferring == true, o.deferState ?? o.state == nil {
            throw Diagnostic(code: .missingFlag, "--defer needs the artifacts to defer to: give --state DIR (or --defer-state DIR), the target/ folder of a production run")
        }
        return o
    }
}
