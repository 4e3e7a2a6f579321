import Foundation
import Basics
import Templating

/// dbt's global macros as dbt-postgres 1.11 renders them, byte for byte (whitespace included): the cross-database
/// macros, the data types, and the helpers packages call bare or as `dbt.name()`. Each is checked against dbt's own
/// rendering (Tests/Fixtures/dbt-macros, recorded with dbt by scripts/record-dbt-macros). A project's own macro of
/// the same name wins, as in dbt (these sit below the project's macros).
extension DbtContext {
    static let crossDatabaseMacros: [String: Function] = {
        func constant(_ name: String, _ text: String) -> (String, Function) { (name, Function(name) { _, _ in .string(text) }) }
        @Sendable func args(_ a: Arguments, _ names: [String], _ site: CallSite) throws -> [String] {
            try names.enumerated().map { i, n in
                guard let v = a.argument(i, n) else { throw site.error("missing argument '\(n)'", code: .wrongArguments) }
                return v.stringValue
            }
        }
        func macro(_ name: String, _ parameters: [String], _ body: @escaping @Sendable ([String]) throws -> String) -> (String, Function) {
            (name, Function(name) { a, site in .string(try body(try args(a, parameters, site))) })
        }
        /// `dateadd`: also called by `last_day`.
        @Sendable func dateadd(_ part: String, _ interval: String, _ date: String) -> String {
            "\n\n    \(date) + ((interval '1 \(part)') * (\(interval)))\n\n"
        }
        @Sendable func datediff(_ a: String, _ b: String, _ part: String, _ site: CallSite) throws -> String {
            func timestampPart(_ unit: String, _ factor: String, of smaller: String, floor: Bool = false) throws -> String {
                let (x, y) = floor ? ("floor(date_part('\(unit)', (\(b))::timestamp))", "floor(date_part('\(unit)', (\(a))::timestamp))")
                                   : ("date_part('\(unit)', (\(b))::timestamp)", "date_part('\(unit)', (\(a))::timestamp)")
                return "\n        (\(try datediff(a, b, smaller, site)) * \(factor) + \(x) - \(y))\n    "
            }
            switch part {
            case "year": return "\n        (date_part('year', (\(b))::date) - date_part('year', (\(a))::date))\n    "
            case "quarter", "month":
                return "\n        (\(try datediff(a, b, "year", site)) * \(part == "quarter" ? 4 : 12) + date_part('\(part)', (\(b))::date) - date_part('\(part)', (\(a))::date))\n    "
            case "day": return "\n        ((\(b))::date - (\(a))::date)\n    "
            case "week":
                return "\n        (\(try datediff(a, b, "day", site)) / 7 + case\n            when date_part('dow', (\(a))::timestamp) <= date_part('dow', (\(b))::timestamp) then\n                case when \(a) <= \(b) then 0 else -1 end\n            else\n                case when \(a) <= \(b) then 1 else 0 end\n        end)\n    "
            case "hour": return try timestampPart("hour", "24", of: "day")
            case "minute": return try timestampPart("minute", "60", of: "hour")
            case "second": return try timestampPart("second", "60", of: "minute", floor: true)
            case "millisecond": return try timestampPart("millisecond", "60000", of: "minute", floor: true)
            case "microsecond": return try timestampPart("microsecond", "60000000", of: "minute", floor: true)
            default: throw site.error("Unsupported datepart for macro datediff in postgres: \(Value.string(part).repr)", code: .compilerErrorRaised)
            }
        }
        @Sendable func powersOfTwo(_ upper: Value, _ site: CallSite) throws -> Int {
            guard let bound = upper.asDouble, bound > 0 else { throw site.error("upper bound must be positive", code: .compilerErrorRaised) }
            return (1..<100).first { bound <= pow(2, Double($0)) } ?? 99
        }
        /// dbt's `load_relation(relation)`: `adapter.get_relation` of its parts, on the render's own adapter.
        let loadRelation = Function("load_relation") { a, site in
            guard case .object(let r as RelationObject)? = a.argument(0, "relation") else { throw site.error("load_relation() needs a Relation", code: .invalidAdapterCall) }
            guard case .dict(let adapter)? = site.lookup("adapter"), let get = adapter["get_relation"] else { return .none }
            return try site.call(get, Arguments([r.path.database.map(Value.string) ?? .none, r.path.schema.map(Value.string) ?? .none,
                                                 r.path.identifier.map(Value.string) ?? .none]))
        }
        let list: [(String, Function)] = [
            // byte for byte what dbt-postgres renders (Tests/Fixtures/dbt-macros, recorded with dbt by scripts/record-dbt-macros)
            constant("type_string", "TEXT"), constant("type_timestamp", "timestamp"), constant("type_float", "float"),
            constant("type_int", "integer"), constant("type_bigint", "bigint"), constant("type_numeric", "numeric(28,6)"),
            constant("type_boolean", "boolean"), constant("current_timestamp", "now()"),
            ("concat", Function("concat") { a, site in
                guard let fields = a.argument(0, "fields")?.iterated else { throw site.error("concat() needs a list of fields", code: .wrongArguments) }
                return .string(fields.map(\.stringValue).joined(separator: " || "))
            }),
            ("hash", Function("hash") { a, site in .string("md5(cast(\(try args(a, ["field"], site)[0]) as TEXT))") }),
            ("safe_cast", Function("safe_cast") { a, site in
                let x = try args(a, ["field", "type"], site)
                return .string("\n    \n    cast(\(x[0]) as \(x[1]))\n")
            }),
            ("date_trunc", Function("date_trunc") { a, site in
                let x = try args(a, ["datepart", "date"], site)
                return .string("date_trunc('\(x[0])', \(x[1]))")
            }),
            macro("dateadd", ["datepart", "interval", "from_date_or_timestamp"]) { dateadd($0[0], $0[1], $0[2]) },
            ("any_value", Function("any_value") { a, site in .string("min(\(try args(a, ["expression"], site)[0]))") }),
            ("cast_bool_to_text", Function("cast_bool_to_text") { a, site in .string("\n  \n    cast(\(try args(a, ["field"], site)[0]) as TEXT)\n\n") }),
            ("string_literal", Function("string_literal") { a, site in .string("'\(try args(a, ["value"], site)[0])'") }),
            macro("escape_single_quotes", ["expression"]) { $0[0].replacingOccurrences(of: "'", with: "''") },
            ("split_part", Function("split_part") { a, site in
                let x = try args(a, ["string_text", "delimiter_text", "part_number"], site)
                let negative = (a.argument(2, "part_number")?.asDouble ?? 0) < 0
                let third = negative ? "  length(\(x[0]))\n          - length(\n              replace(\(x[0]),  \(x[1]), '')\n          ) + 2 + \(x[2])" : x[2]
                return .string("\n\n  \n    \n\n    split_part(\n        \(x[0]),\n        \(x[1]),\n        \(third)\n        )\n\n\n  \n\n")
            }),
            macro("replace", ["field", "old_chars", "new_chars"]) { "\n\n    replace(\n        \($0[0]),\n        \($0[1]),\n        \($0[2])\n    )\n\n\n" },
            macro("right", ["string_text", "length_expression"]) { "\n\n    right(\n        \($0[0]),\n        \($0[1])\n    )" },
            macro("length", ["expression"]) { "\n\n    length(\n        \($0[0])\n    )" },
            macro("position", ["substring_text", "string_text"]) { "\n\n    position(\n        \($0[0]) in \($0[1])\n    )" },
            constant("except", "\n\n    except\n\n"), constant("intersect", "\n\n    intersect\n\n"),
            macro("bool_or", ["expression"]) { "bool_or(\($0[0]))" },
            ("listagg", Function("listagg") { a, site in
                let measure = try args(a, ["measure"], site)[0]
                let delimiter = a.argument(1, "delimiter_text")?.stringValue ?? "','"
                let order = a.argument(2, "order_by_clause").flatMap { $0.isTrue ? $0.stringValue : nil } ?? ""
                if let limit = a.argument(3, "limit_num"), limit.isTrue {
                    return .string("array_to_string(\n        (array_agg(\n            \(measure)\n            \(order)\n        ))[1:\(limit.stringValue)],\n        \(delimiter)\n        )")
                }
                return .string("\n    string_agg(\n        \(measure),\n        \(delimiter)\n        \(order)\n        )")
            }),
            macro("last_day", ["date", "datepart"]) { x in
                if x[1] == "quarter" {
                    return "-- postgres dateadd does not support quarter interval.\n    cast(\n        \(dateadd("day", "-1", dateadd("month", "3", "date_trunc('\(x[1])', \(x[0]))")))\n        as date)"
                }
                return "cast(\n        \(dateadd("day", "-1", dateadd(x[1], "1", "date_trunc('\(x[1])', \(x[0]))")))\n        as date)"
            },
            ("datediff", Function("datediff") { a, site in
                let x = try args(a, ["first_date", "second_date", "datepart"], site)
                return .string(try datediff(x[0], x[1], x[2], site))
            }),
            macro("cast", ["field", "type"]) { "\n    cast(\($0[0]) as \($0[1]))\n" },
            ("array_construct", Function("array_construct") { a, _ in
                let inputs = a.argument(0, "inputs")?.iterated ?? []
                if !inputs.isEmpty { return .string("\n    array[ \(inputs.map(\.stringValue).joined(separator: " , ")) ]\n    ") }
                return .string("\n    array[]::\(a.argument(1, "data_type")?.stringValue ?? "integer")[]\n    ")
            }),
            macro("array_append", ["array", "new_element"]) { "array_append(\($0[0]), \($0[1]))" },
            macro("array_concat", ["array_1", "array_2"]) { "array_cat(\($0[0]), \($0[1]))" },
            ("date", Function("date") { a, site in
                guard let y = a.argument(0, "year")?.asInt, let m = a.argument(1, "month")?.asInt, let d = a.argument(2, "day")?.asInt else {
                    throw site.error("date() needs a year, a month and a day as integers", code: .wrongArguments)
                }
                return .string(String(format: "to_date('%04d-%02d-%02d', 'YYYY-MM-DD')", y, m, d))
            }),
            macro("equals", ["expr1", "expr2"]) { "(\($0[0]) = \($0[1]))" },
            ("get_powers_of_two", Function("get_powers_of_two") { a, site in .int(try powersOfTwo(a.argument(0, "upper_bound") ?? .none, site)) }),
            ("generate_series", Function("generate_series") { a, site in
                let upper = a.argument(0, "upper_bound") ?? .none
                let n = try powersOfTwo(upper, site)
                let terms = (0..<n).map { i in "\n    p\(i).generated_number * power(2, \(i))\n    \(i < n - 1 ? " + " : "")\n    " }.joined()
                let tables = (0..<n).map { i in "\n    p as p\(i)\n    \(i < n - 1 ? " cross join " : "")\n    " }.joined()
                return .string("\n\n    \n\n    with p as (\n        select 0 as generated_number union all select 1\n    ), unioned as (\n\n    select\n\n    \(terms)\n    + 1\n    as generated_number\n\n    from\n\n    \(tables)\n\n    )\n\n    select *\n    from unioned\n    where generated_number <= \(upper.stringValue)\n    order by generated_number\n\n")
            }),
            ("load_relation", loadRelation),
            ("load_cached_relation", loadRelation),
        ]
        return Dictionary(uniqueKeysWithValues: list)
    }()
}
