import ArgumentParser
import Foundation
import Basics
import ProjectLoading
import ProjectModel

/// An invocation's flags as `run_results.json` records them under `args` (dbt's names), and back to arguments.
/// The connection string is never recorded: it may hold a password.
struct InvocationArguments {
    var entries: [ConfigEntry] = []

    init(entries: [ConfigEntry]) { self.entries = entries }

    init(global: GlobalOptions, selection: SelectionOptions, build: BuildOptions, nodes: NodeOptions?, extra: [String]) {
        func add(_ key: String, _ value: ConfigValue?) { if let value { entries.append(ConfigEntry(key, value)) } }
        func flag(_ key: String, _ on: Bool?) { if on == true { add(key, .bool(true)) } }
        add("project_dir", .string(global.projectDir))
        add("profiles_dir", global.profilesDir.map(ConfigValue.string))
        add("target", global.target.map(ConfigValue.string))
        add("schema", global.schema.map(ConfigValue.string))
        add("vars", global.vars.map(ConfigValue.string))
        add("threads", global.threads.map(ConfigValue.int))
        add("target_path", global.targetPath.map(ConfigValue.string))
        if !selection.select.isEmpty { add("select", .list(selection.select.map(ConfigValue.string))) }
        if !selection.exclude.isEmpty { add("exclude", .list(selection.exclude.map(ConfigValue.string))) }
        add("state", selection.state.map(ConfigValue.string))
        add("defer_state", selection.deferState.map(ConfigValue.string))
        flag("defer", selection.deferring)
        flag("favor_state", selection.favorState)
        flag("full_refresh", build.fullRefresh)
        flag("fail_fast", build.failFast)
        flag("store_failures", nodes?.storeFailures)
        flag("empty", nodes?.empty)
        add("lock_timeout", build.lockTimeout.map(ConfigValue.double))
        add("event_time_start", nodes?.eventTimeStart.map(ConfigValue.string))
        add("event_time_end", nodes?.eventTimeEnd.map(ConfigValue.string))
        if !extra.isEmpty { add("strata_command_arguments", .list(extra.map(ConfigValue.string))) }
    }

    subscript(key: String) -> ConfigValue? { entries.first { $0.key == key }?.value }

    /// A recorded value as a flag's argument (vars as JSON, which `--vars` reads as YAML).
    static func text(_ v: ConfigValue) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .dict, .list: return JSONWriter.write(v, pretty: false)
        default: return nil
        }
    }

    /// `strata <which> …` as the recorded invocation ran it, selecting `select` instead of what it selected, with
    /// `overrides` (the retry's own flags) in place of the recorded values of the same flags.
    func arguments(select: [String], overrides: GlobalOptions) -> [String]? {
        guard let which = self["which"]?.asString else { return nil }
        var out = [which] + (self["strata_command_arguments"]?.asList?.compactMap(\.asString) ?? [])
        func option(_ flag: String, _ key: String, _ given: String?) {
            if let v = given ?? self[key].flatMap(Self.text) { out += [flag, v] }
        }
        option("--project-dir", "project_dir", overrides.projectDir == "." ? nil : overrides.projectDir)
        option("--profiles-dir", "profiles_dir", overrides.profilesDir)
        option("--target", "target", overrides.target)
        option("--schema", "schema", overrides.schema)
        option("--vars", "vars", overrides.vars)
        option("--threads", "threads", overrides.threads.map(String.init))
        option("--target-path", "target_path", overrides.targetPath)
        if let url = overrides.databaseURL { out += ["--database-url", url] }
        option("--state", "state", nil)
        option("--defer-state", "defer_state", nil)
        for (flag, key) in [("--defer", "defer"), ("--favor-state", "favor_state"), ("--full-refresh", "full_refresh"),
                            ("--fail-fast", "fail_fast"), ("--store-failures", "store_failures"), ("--empty", "empty")] where self[key]?.asBool == true {
            out.append(flag)
        }
        option("--lock-timeout", "lock_timeout", nil)
        option("--event-time-start", "event_time_start", nil)
        option("--event-time-end", "event_time_end", nil)
        return out + ["--select"] + select
    }
}

/// `strata retry`: runs the last `run`, `build`, `seed`, `snapshot` or `test` again with its flags, for the nodes
/// that failed or errored and those skipped because of them (dbt's retry).
struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Run the last run/build/seed/snapshot/test again for what failed, errored or was skipped, with its flags.",
        discussion: """
        Reads target/run_results.json (the last invocation's results and flags). Flags given here (--target, \\
        --threads, --database-url …) replace the recorded ones; the connection string is never recorded, so give it \\
        again (or set STRATA_DATABASE_URL) when the last run had one on its command line.
        """)
    @OptionGroup var global: GlobalOptions

    /// The statuses retried: what failed and what was skipped because of it.
    static let retried: Set<String> = ["error", "fail", "skipped", "runtime error"]

    func run() throws {
        try runReporting {
            let ws = try Workspace.load(global)
            let path = ws.targetDirectory.appendingPathComponent("run_results.json").path
            let shown = ws.console.displayPath(ws.project.paths.target + "/run_results.json")
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ws.console.fail(Diagnostic(code: .noRunResults, "there is no previous run to retry: \(shown) does not exist (run, build, seed, snapshot or test first)"))
            }
            guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let results = json["results"] as? [[String: Any]] else {
                throw ws.console.fail(Diagnostic(code: .cannotRetry, "\(shown) is not a run_results.json Strata or dbt wrote"))
            }
            // the recorded flags, read by ConfigValue's own decoder
            let recorded = (try? JSONDecoder().decode(ConfigValue.self, from: JSONSerialization.data(withJSONObject: json["args"] as? [String: Any] ?? [:]))) ?? .dict([])
            let args = InvocationArguments(entries: (recorded.asDict ?? []).sorted { $0.key < $1.key })
            let which = args["which"]?.asString ?? "?"
            guard ["run", "build", "seed", "snapshot", "test"].contains(which) else {
                throw ws.console.fail(Diagnostic(code: .cannotRetry, "the last invocation recorded in \(shown) was `\(which)`, which builds nothing to retry"))
            }
            let ids = results.compactMap { r -> String? in
                guard let id = r["unique_id"] as? String, let status = r["status"] as? String, Self.retried.contains(status) else { return nil }
                return id.hasPrefix("operation.") ? nil : id   // project hooks run again with any run
            }
            guard !ids.isEmpty else {
                ws.console.print("Nothing to retry: the last `\(which)` (\(results.count) result\(results.count == 1 ? "" : "s") in \(shown)) had no errors, failures or skips.")
                return
            }
            guard let arguments = args.arguments(select: ids.sorted().map { "unique_id:" + $0 }, overrides: global) else {
                throw ws.console.fail(Diagnostic(code: .cannotRetry, "\(shown) does not record the command it ran"))
            }
            ws.console.print("Retrying \(ids.count) node\(ids.count == 1 ? "" : "s") of the last `\(which)` (\(results.count - ids.count) succeeded or passed before)")
            var command = try StrataCommand.parseAsRoot(arguments)
            try command.run()
        }
    }
}
