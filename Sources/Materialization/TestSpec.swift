import Artifacts
import Compilation
import ProjectModel
import Warehouse

/// How a data test runs: its judgement (severity, thresholds, limit) and where its failing rows are stored.
public struct TestSpec: Sendable, Equatable {
    public var judgement: TestJudgement
    public var severity: TestJudgement.Severity { judgement.severity }
    /// With store_failures: the audit table that receives the failing rows, replaced on every run.
    public var storeFailuresIn: Relation? = nil

    public init(judgement: TestJudgement, storeFailuresIn: Relation? = nil) {
        self.judgement = judgement
        self.storeFailuresIn = storeFailuresIn
    }

    /// dbt's get_test_sql: count the failures (`fail_calc`, `count(*)` by default) and compare them with the
    /// thresholds in the same query. The failures, the verdict, and (when some fail) a sample of up to five rows.
    func run(_ sql: String, on connection: any WarehouseConnection) throws -> (Int, StepResult.Status, QueryResult?) {
        let limit = judgement.limit.map { "\nlimit \($0)" } ?? ""
        let calc = judgement.failCalc
        let query = """
            select \(calc) as failures, \(calc) \(judgement.warnIf) as should_warn, \(calc) \(judgement.errorIf) as should_error
            from (
            \(sql)\(limit)
            ) dbt_internal_test
            """
        let row: [String?]
        do {
            if let audit = storeFailuresIn {
                let name = SQLDialect.postgres.qualified(audit.schema, audit.identifier)
                try connection.transaction {
                    try connection.execute("DROP TABLE IF EXISTS \(name)")
                    try connection.execute("CREATE TABLE \(name) AS (\n\(sql)\(limit)\n)")
                }
            }
            row = try connection.execute(query).rows.first ?? ["0", "f", "f"]
        } catch let e as WarehouseError {
            throw RelationSwap.StatementFailure(error: e, bodyOffset: nil)
        }
        // a fail_calc such as sum(…) may be NULL (no rows) or numeric
        let failures = row[0].flatMap { Double($0) }.map { Int($0) } ?? 0
        var sample: QueryResult?
        if failures > 0 {
            sample = try? connection.execute("select * from (\n\(sql)\(limit)\n) dbt_internal_test limit 5")
        }
        if severity == .error, row[2] == "t" { return (failures, .fail, sample) }
        if row[1] == "t" { return (failures, .warn, sample) }
        return (failures, .pass, nil)
    }
}
