import Foundation
import Basics
import Contracts
import ProjectModel

/// `target/sources.json`, as dbt writes it for `source freshness` (sources v3).
public enum SourcesJSON {
    public static func json(_ outcomes: [SourceFreshness.Outcome], generatedAt: Date, invocationID: String, elapsed: Double) -> String {
        var meta = Obj()
        // dbt's metadata keys only: the schema allows no others
        meta.set("dbt_schema_version", .string("https://schemas.getdbt.com/dbt/sources/v3.json"))
        meta.set("generated_at", .string(Manifest.timestamp(generatedAt)))
        meta.set("invocation_id", .string(invocationID))
        func criterion(_ seconds: Int?) -> ConfigValue {
            guard let s = seconds else { return .dict([ConfigEntry("count", .null), ConfigEntry("period", .null)]) }
            // the largest whole period, as dbt's {count, period}
            for (period, unit) in [("day", 86400), ("hour", 3600), ("minute", 60)] where s % unit == 0 {
                return .dict([ConfigEntry("count", .int(s / unit)), ConfigEntry("period", .string(period))])
            }
            return .dict([ConfigEntry("count", .int(s)), ConfigEntry("period", .string("second"))])
        }
        let results: [ConfigValue] = outcomes.map { o in
            var r = Obj()
            r.set("unique_id", .string(o.id.rawValue))
            // a check that could not run is dbt's SourceFreshnessRuntimeError: its id, the error, the status
            if o.status == .runtimeError {
                r.set("error", .string(o.message))
                r.set("status", .string(o.status.rawValue))
                return r.value
            }
            r.set("max_loaded_at", o.maxLoadedAt.map(ConfigValue.string) ?? .null)
            r.set("snapshotted_at", o.snapshottedAt.map(ConfigValue.string) ?? .null)
            r.set("max_loaded_at_time_ago_in_s", o.ageSeconds.map(ConfigValue.double) ?? .null)
            r.set("status", .string(o.status.rawValue))
            r.set("criteria", .dict([ConfigEntry("warn_after", criterion(o.freshness.warnAfter)), ConfigEntry("error_after", criterion(o.freshness.errorAfter)),
                                     ConfigEntry("filter", o.filter.map(ConfigValue.string) ?? .null)]))
            r.set("adapter_response", .dict([]))
            r.set("timing", .list([.dict([ConfigEntry("name", .string("execute")), ConfigEntry("started_at", .string(Manifest.timestamp(o.startedAt))),
                                          ConfigEntry("completed_at", .string(Manifest.timestamp(o.startedAt.addingTimeInterval(o.seconds))))])]))
            r.set("thread_id", .string("Thread-1"))
            r.set("execution_time", .double((o.seconds * 1e6).rounded() / 1e6))
            return r.value
        }
        var root = Obj()
        root.set("metadata", meta.value)
        root.set("results", .list(results))
        root.set("elapsed_time", .double((elapsed * 1e6).rounded() / 1e6))
        return JSONWriter.write(root.value)
    }
}
