import Foundation
import Basics
import Compilation
import ProjectModel
import Warehouse

/// A microbatch incremental model's batches (dbt 1.9's `incremental_strategy='microbatch'`).
public struct MicrobatchSpec: Sendable, Equatable {
    public typealias BatchSize = MicrobatchConfig.BatchSize
    /// The model's own event_time column: what each batch replaces.
    public var eventTime: String
    public var batchSize: BatchSize
    /// Half-open windows [start, end), oldest first.
    public var batches: [ClosedRange<Date>]
    /// True when the table is (re)built from the first batch; false when batches replace rows in the existing table.
    public var rebuild: Bool

    static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    static func floor(_ d: Date, _ size: BatchSize) -> Date {
        let comps: Set<Calendar.Component>
        switch size {
        case .hour: comps = [.year, .month, .day, .hour]
        case .day: comps = [.year, .month, .day]
        case .month: comps = [.year, .month]
        case .year: comps = [.year]
        }
        return calendar.date(from: calendar.dateComponents(comps, from: d))!
    }

    static func advance(_ d: Date, _ size: BatchSize, by n: Int) -> Date {
        let unit: Calendar.Component = size == .hour ? .hour : size == .day ? .day : size == .month ? .month : .year
        return calendar.date(byAdding: unit, value: n, to: d)!
    }

    /// The batches for a run: an explicit `--event-time-start/--event-time-end` range; else from `begin` when the
    /// table is built, or the current batch and `lookback` batches before it when it exists. nil + message on bad config.
    static func plan(config: MicrobatchConfig, loadsIncrementally: Bool, now: Date, start: Date?, end: Date?) -> (MicrobatchSpec?, String?) {
        let eventTime = config.eventTime, size = config.batchSize, lookback = config.lookback
        var from: Date, to: Date
        let rebuild = !loadsIncrementally
        if let start {
            from = floor(start, size)
            to = end ?? advance(floor(now, size), size, by: 1)
        } else if loadsIncrementally {
            from = advance(floor(now, size), size, by: -lookback)
            to = advance(floor(now, size), size, by: 1)
        } else {
            guard let begin = config.begin else {
                return (nil, "microbatch needs begin='YYYY-MM-DD' (where the first build starts)")
            }
            from = floor(begin, size)
            to = advance(floor(now, size), size, by: 1)
        }
        var batches: [ClosedRange<Date>] = []
        var cursor = from
        while cursor < to {
            let next = advance(cursor, size, by: 1)
            batches.append(cursor...next)
            cursor = next
            if batches.count > 100_000 { return (nil, "microbatch range has more than 100,000 batches; narrow begin or the event-time range") }
        }
        return (MicrobatchSpec(eventTime: eventTime, batchSize: size, batches: batches, rebuild: rebuild), nil)
    }
}

/// Runs the batches: a rebuild fills a staging table batch by batch and swaps it in (a failure keeps the old
/// table); an incremental run gives each batch its own transaction that deletes the window's rows and inserts
/// the batch's, so completed batches stay done if a later one fails.
struct MicrobatchLoad {
    let connection: any WarehouseConnection
    let dialect: SQLDialect

    static func literal(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return f.string(from: d) + "+00:00"
    }

    func sql(_ sql: String, for batch: ClosedRange<Date>) -> String {
        sql.replacingOccurrences(of: Microbatch.startPlaceholder, with: Self.literal(batch.lowerBound))
            .replacingOccurrences(of: Microbatch.endPlaceholder, with: Self.literal(batch.upperBound))
    }

    func load(relation: Relation, sql modelSQL: String, spec: MicrobatchSpec) throws -> (rows: Int, message: String) {
        guard let first = spec.batches.first else { return (0, "no batches") }
        var rows = 0
        if spec.rebuild {
            let swap = RelationSwap(connection: connection, dialect: dialect)
            _ = try swap.build(.table, relation: relation) { staging in
                let prefix = "CREATE TABLE \(staging) AS (\n"
                do {
                    rows += try connection.execute(prefix + sql(modelSQL, for: first) + "\n)").affectedRows ?? 0
                    for batch in spec.batches.dropFirst() {
                        rows += try connection.execute("INSERT INTO \(staging) (\n" + sql(modelSQL, for: batch) + "\n)").affectedRows ?? 0
                    }
                } catch let e as WarehouseError {
                    throw RelationSwap.StatementFailure(error: e, bodyOffset: prefix.unicodeScalars.count)
                }
                return rows
            }
            return (rows, "\(spec.batches.count) batch\(spec.batches.count == 1 ? "" : "es") built")
        }
        let target = dialect.qualified(relation.schema, relation.identifier)
        let column = dialect.quote(spec.eventTime)
        for batch in spec.batches {
            try connection.transaction {
                do {
                    // untyped literals, as in the upstream filters: PostgreSQL reads them as the column's type
                    try connection.execute("DELETE FROM \(target) WHERE \(column) >= \(dialect.literal(Self.literal(batch.lowerBound))) AND \(column) < \(dialect.literal(Self.literal(batch.upperBound)))")
                    let prefix = "INSERT INTO \(target) (\n"
                    do {
                        rows += try connection.execute(prefix + sql(modelSQL, for: batch) + "\n)").affectedRows ?? 0
                    } catch let e as WarehouseError {
                        throw RelationSwap.StatementFailure(error: e, bodyOffset: prefix.unicodeScalars.count)
                    }
                } catch let e as WarehouseError {
                    throw RelationSwap.StatementFailure(error: e, bodyOffset: nil)
                }
            }
        }
        return (rows, "\(spec.batches.count) batch\(spec.batches.count == 1 ? "" : "es"), INSERT \(rows)")
    }
}
