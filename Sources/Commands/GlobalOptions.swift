import ArgumentParser

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

    @Option(name: .customLong("threads"), help: "Parallel workers, each with its own connection.")
    var threads: Int?

    func validate() throws {
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
    }
}

/// `--select` / `--exclude`, shared by commands that pick nodes.
struct SelectionOptions: ParsableArguments {
    @Option(name: [.customShort("s"), .customLong("select")], parsing: .upToNextOption, help: "Nodes to include (dbt selector syntax).")
    var select: [String] = []

    @Option(name: .customLong("exclude"), parsing: .upToNextOption, help: "Nodes to leave out.")
    var exclude: [String] = []

    @Option(name: .customLong("state"), help: "The artifacts of a previous run (a target/ folder), for state: and result: selectors.")
    var state: String?
}
