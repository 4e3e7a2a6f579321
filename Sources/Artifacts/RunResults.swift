import Basics
import Foundation
import Compilation
import ProjectModel

/// `target/run_results.json`: per node status, timing, rows and message. Shaped like dbt's run_results v6.
public enum RunResults {
    /// `project` gives each result its compiled code.
    /// `args` are the invocation's flags as dbt records them (`select`, `full_refresh` …; never a secret), which
    /// `strata retry` reads back.
    public static func json(_ results: [StepResult], generatedAt: Date, invocationID: String, elapsed: Double, command: String,
                            project: CompiledProject? = nil, args: [ConfigEntry] = []) -> String {
        // dbt's keys only, everywhere: its schema (run-results v6) allows no others
        var meta = Obj()
        meta.set("dbt_schema_version", .string("https://schemas.getdbt.com/dbt/run-results/v6.json"))
        meta.set("generated_at", .string(Manifest.timestamp(generatedAt)))
        meta.set("invocation_id", .string(invocationID))
        let items: [ConfigValue] = results.map { r in
            var o = Obj()
            o.set("unique_id", .string(r.id.rawValue))
            o.set("status", .string(r.status.rawValue))
            var timing: [ConfigValue] = []
            if let s = r.startedAt, let c = r.completedAt {
                timing.append(.dict([ConfigEntry("name", .string("execute")), ConfigEntry("started_at", .string(Manifest.timestamp(s))),
                                     ConfigEntry("completed_at", .string(Manifest.timestamp(c)))]))
            }
            o.set("timing", .list(timing))
            o.set("thread_id", .string("Thread-1"))
            o.set("execution_time", .double((r.executionTime * 1e6).rounded() / 1e6))
            o.set("adapter_response", .dict([ConfigEntry("_message", .string(r.status == .success ? r.message : "")),
                                             ConfigEntry("rows_affected", r.rowsAffected.map { .int($0) } ?? .null)]))
            o.set("message", .string(r.diagnostic.map(\.description) ?? r.message))
            o.set("relation_name", .string(r.relation.rendered()))
            o.set("failures", r.failures.map { .int($0) } ?? .null)
            if let node = project?.nodes[r.id], let sql = r.renderedSQL ?? node.compiledSQL {
                o.set("compiled", .bool(true))
                o.set("compiled_code", .string(sql))
            }
            return o.value
        }
        var root = Obj()
        root.set("metadata", meta.value)
        root.set("results", .list(items))
        root.set("elapsed_time", .double((elapsed * 1e6).rounded() / 1e6))
        root.set("args", .dict([ConfigEntry("which", .string(command))] + args.filter { $0.key != "which" }))
        return JSONWriter.write(root.value)
    }
}
