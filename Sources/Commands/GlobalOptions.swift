import ArgumentParser
import Basics
import DependencyGraph

extension IndirectSelection: ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
extension LogLevel: ExpressibleByArgument {}

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

    @Option(name: .customLong("log-path"), help: "Where strata.log goes instead of the project's log-path (default logs/; also DBT_LOG_PATH).")
    var logPath: String?

    @Option(name: .customLong("log-format"), help: "text (default), json (one event per line) or debug (also DBT_LOG_FORMAT).")
    var logFormat: LogFormat?

    @Option(name: .customLong("log-format-file"), help: "The log file's format (default debug; also DBT_LOG_FORMAT_FILE).")
    var logFormatFile: LogFormat?

    @Option(name: .customLong("log-level"), help: "debug, info (default), warn, error or none (also DBT_LOG_LEVEL).")
    var logLevel: LogLevel?

    @Option(name: .customLong("log-level-file"), help: "The log file's level (default debug; also DBT_LOG_LEVEL_FILE).")
    var logLevelFile: LogLevel?

    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Only errors and results (ls, show, compile output) on the terminal (also DBT_QUIET).")
    var quiet = false

    @Flag(name: [.customShort("d"), .customLong("debug")], help: "Debug lines too (also DBT_DEBUG).")
    var debug = false

    @Flag(name: .customLong("print"), inversion: .prefixedNo, help: "Show what templates print() (default; also DBT_PRINT).")
    var printing: Bool?

    @Flag(name: .customLong("use-colors"), inversion: .prefixedNo, help: "Colour status words (default: on a terminal unless NO_COLOR is set; also DBT_USE_COLORS).")
    var useColors: Bool?

    @Flag(name: .customLong("warn-error"), help: "Treat every warning as an error (also DBT_WARN_ERROR).")
    var warnError = false

    @Option(name: .customLong("warn-error-options"), help: "Which warnings are errors: '{\"error\": \"all\", \"warn\": [\"NoNodesForSelectionCriteria\"]}' (also DBT_WARN_ERROR_OPTIONS).")
    var warnErrorOptions: String?

    /// The environment variable that sets a flag: `STRATA_NAME`, else dbt's `DBT_NAME`.
    static func environmentValue(_ name: String, _ environment: [String: String]) -> String? {
        environment["STRATA_" + name] ?? environment["DBT_" + name]
    }

    /// A true/false environment variable (`DBT_NAME` or `STRATA_NAME`), nil when not set.
    static func environmentFlag(_ name: String, _ environment: [String: String]) throws -> Bool? {
        guard let text = environmentValue(name, environment) else { return nil }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off", "": return false
        default: throw Diagnostic(code: .invalidEnvironment, "DBT_\(name) (or STRATA_\(name)) must be true or false, not '\(text)'")
        }
    }

    /// What the logging flags (and their environment variables) ask for; `terminal`: stdout is a terminal.
    func logSettings(_ environment: [String: String], terminal: Bool) throws -> LogSettings {
        var s = LogSettings()
        func value(_ name: String) -> String? { GlobalOptions.environmentValue(name, environment) }
        func parsed<T: RawRepresentable>(_ given: T?, _ name: String) throws -> T? where T.RawValue == String {
            if let given { return given }
            guard let text = value(name) else { return nil }
            guard let v = T(rawValue: text.lowercased()) else { throw Diagnostic(code: .invalidEnvironment, "DBT_\(name) (or STRATA_\(name)) has no value '\(text)'") }
            return v
        }
        s.format = try parsed(logFormat, "LOG_FORMAT") ?? .text
        s.fileFormat = try parsed(logFormatFile, "LOG_FORMAT_FILE") ?? .debug
        s.fileLevel = try parsed(logLevelFile, "LOG_LEVEL_FILE") ?? .debug
        let quiet = try self.quiet || Self.environmentFlag("QUIET", environment) == true
        let debug = try self.debug || Self.environmentFlag("DEBUG", environment) == true
        s.level = debug ? .debug : quiet ? .error : try parsed(logLevel, "LOG_LEVEL") ?? .info
        s.printing = try printing ?? Self.environmentFlag("PRINT", environment) ?? true
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        s.colors = try useColors ?? Self.environmentFlag("USE_COLORS", environment) ?? (terminal && !noColor && environment["TERM"] != "dumb")
        if let text = warnErrorOptions ?? value("WARN_ERROR_OPTIONS") { s.warnError = try WarnErrorPolicy.parse(text) }
        if try warnError || Self.environmentFlag("WARN_ERROR", environment) == true { s.warnError.all = true }
        return s
    }

    /// The options with what dbt's environment variables set for flags not given: DBT_TARGET, DBT_THREADS,
    /// DBT_TARGET_PATH (or their STRATA_ spellings).
    func withEnvironment(_ environment: [String: String]) throws -> GlobalOptions {
        var o = self
        func value(_ name: String) -> String? { GlobalOptions.environmentValue(name, environment) }
        if o.target == nil { o.target = value("TARGET") }
        if o.targetPath == nil { o.targetPath = value("TARGET_PATH") }
        if o.logPath == nil { o.logPath = value("LOG_PATH") }
        if o.projectDir == ".", let dir = value("PROJECT_DIR") { o.projectDir = dir }
        if o.profilesDir == nil, let dir = environment["STRATA_PROFILES_DIR"] { o.profilesDir = dir }
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
        func value(_ name: String) -> String? { GlobalOptions.environmentValue(name, environment) }
        func flag(_ name: String) throws -> Bool? { try GlobalOptions.environmentFlag(name, environment) }
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
