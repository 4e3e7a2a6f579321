import Basics
import ProjectModel
import Yams

/// Parses a contract file (`contracts/<name>.yml`). Field names follow the Open Data Contract Standard (v3) where it
/// has one (`version`, `status`, `required`, `unique`, `primaryKey`, `physicalType`, `quality`); the README lists
/// where Strata differs. Every problem in a file is reported at once.
struct ContractParser {
    let reader: YAMLReader

    static let topKeys = ["apiVersion", "kind", "id", "name", "version", "status", "owner", "team", "description", "models", "model",
                          "columns", "primary_key", "unique", "checks", "quality", "freshness", "tags", "domain", "dataProduct"]
    static let columnKeys = ["name", "data_type", "physicalType", "nullable", "required", "unique", "primary_key", "primaryKey",
                             "description", "constraints", "references", "check", "accepted_values", "tags", "examples", "logicalType"]
    static let constraintKinds = ColumnConstraint.Kind.allCases.map(\.rawValue)
    static let qualityKeys = ["name", "description", "severity", "row_count", "expression", "unique", "null_fraction"]

    /// The contract in `text`; its name defaults to the file's base name.
    func parse(_ text: String, defaultName: String) throws -> Contract? {
        guard let doc = try reader.parse(text) else { return nil }
        var bag = DiagnosticBag()
        var contract = Contract(name: defaultName, path: reader.path, location: reader.location(doc))
        var modelsSeen = false
        var nested = DiagnosticBag()
        for (key, node, loc) in try reader.mapping(doc, what: "contract") {
            bag.capture {
                switch key {
                case "apiVersion", "kind", "id", "tags", "domain", "dataProduct": break
                case "name": contract.name = try reader.string(node, what: "name")
                case "version": contract.version = try reader.string(node, what: "version")
                case "status": contract.status = try reader.string(node, what: "status")
                case "owner", "team": contract.owner = try reader.string(node, what: key)
                case "description":
                    // ODCS writes {purpose, usage, limitations}; a plain string is accepted too
                    if case .mapping = node {
                        contract.description = try reader.mapping(node, what: "description").compactMap { k, v, _ in
                            (try? reader.string(v, what: k)).map { "\(k): \($0)" }
                        }.joined(separator: "\n")
                    } else { contract.description = try reader.string(node, what: "description") }
                case "models", "model":
                    modelsSeen = true
                    if case .scalar = node { contract.models.append(Located(try reader.string(node, what: key), at: reader.location(node))) }
                    else {
                        for m in try reader.sequence(node, what: key) { contract.models.append(Located(try reader.string(m, what: "model name"), at: reader.location(m))) }
                    }
                case "columns":
                    for c in try reader.sequence(node, what: "columns") {
                        if let col = nested.capture({ try column(c) }) { contract.columns.append(col) }
                    }
                case "primary_key": contract.primaryKey = Located(try reader.stringList(node, what: "primary_key"), at: reader.location(node))
                case "unique":
                    // [a, b] is one set; [[a, b], [c]] are several
                    let items = try reader.sequence(node, what: "unique")
                    if items.allSatisfy({ if case .scalar = $0 { return true } else { return false } }) {
                        contract.unique.append(Located(try items.map { try reader.string($0, what: "column") }, at: reader.location(node)))
                    } else {
                        for item in items { contract.unique.append(Located(try reader.stringList(item, what: "unique"), at: reader.location(item))) }
                    }
                case "checks":
                    for item in try reader.sequence(node, what: "checks") { contract.checks.append(Located(try reader.string(item, what: "check"), at: reader.location(item))) }
                case "quality":
                    for item in try reader.sequence(node, what: "quality") {
                        if let rule = nested.capture({ try qualityRule(item) }) { contract.quality.append(rule) }
                    }
                case "freshness": contract.freshness = try freshness(node)
                default: throw reader.unknownKey(key, at: loc, known: Self.topKeys, in: "contract")
                }
            }
        }
        bag.append(contentsOf: nested.diagnostics)
        if !modelsSeen {
            bag.append(Diagnostic(code: .contractWithoutModels, "contract '\(contract.name)' does not say which models it governs: add `models: [name]`", at: contract.location))
        }
        var seen: [String: SourceLocation?] = [:]
        for c in contract.columns {
            if let first = seen[c.name] {
                bag.append(Diagnostic(code: .duplicateContractColumn, "column '\(c.name)' is declared twice", at: c.location, notes: [.init("first declared here", at: first)]))
            }
            seen[c.name] = c.location
        }
        try bag.throwIfErrors()
        return contract
    }

    private func column(_ node: Node) throws -> ContractColumn {
        var bag = DiagnosticBag()
        var col = ContractColumn(name: "", dataType: "", location: reader.location(node))
        var nested = DiagnosticBag()
        for (key, value, loc) in try reader.mapping(node, what: "column") {
            bag.capture {
                switch key {
                case "name": col.name = try reader.string(value, what: "column name")
                case "data_type", "physicalType":
                    col.dataType = try reader.string(value, what: key)
                    col.dataTypeLocation = reader.location(value)
                    try ContractColumn.validateTypeSyntax(col.dataType, at: col.dataTypeLocation)
                case "nullable": col.nullable = try bool(value, what: "nullable")
                case "required": col.nullable = !(try bool(value, what: "required"))
                case "unique": if try bool(value, what: "unique") { col.constraints.append(ColumnConstraint(.unique, at: loc)) }
                case "primary_key", "primaryKey": if try bool(value, what: key) { col.constraints.append(ColumnConstraint(.primaryKey, at: loc)) }
                case "references": col.constraints.append(try foreignKey(value))
                case "check": col.constraints.append(ColumnConstraint(.check, expression: try reader.string(value, what: "check"), at: reader.location(value)))
                case "accepted_values": col.constraints.append(ColumnConstraint(.acceptedValues, values: try reader.stringList(value, what: "accepted_values"), at: loc))
                case "description": col.description = try reader.string(value, what: "description")
                case "constraints":
                    for item in try reader.sequence(value, what: "constraints") {
                        if let c = nested.capture({ try constraint(item) }) { col.constraints.append(c) }
                    }
                case "tags", "examples", "logicalType": break
                default: throw reader.unknownKey(key, at: loc, known: Self.columnKeys, in: "contract column")
                }
            }
        }
        bag.append(contentsOf: nested.diagnostics)
        if col.name.isEmpty { bag.append(Diagnostic(code: .contractColumnWithoutName, "a contract column needs a name", at: col.location)) }
        else if col.dataType.isEmpty { bag.append(Diagnostic(code: .contractColumnWithoutName, "column '\(col.name)' needs a data_type", at: col.location)) }
        try bag.throwIfErrors()
        return col
    }

    /// `- not_null`, `- primary_key`, `- foreign_key: customers.customer_id`, `- check: amount >= 0`, `- accepted_values: [a, b]`.
    private func constraint(_ node: Node) throws -> ColumnConstraint {
        let loc = reader.location(node)
        if case .scalar(let s) = node {
            guard let kind = ColumnConstraint.Kind(rawValue: s.string), kind != .foreignKey, kind != .check, kind != .acceptedValues else {
                if ["foreign_key", "check", "accepted_values"].contains(s.string) {
                    throw Diagnostic(code: .invalidContractConstraint, "constraint '\(s.string)' needs a value, like `- \(s.string): …`", at: loc)
                }
                throw unknownConstraint(s.string, at: loc)
            }
            return ColumnConstraint(kind, at: loc)
        }
        let entries = try reader.mapping(node, what: "constraint")
        guard entries.count == 1, let (key, value, keyLoc) = entries.first else {
            throw Diagnostic(code: .invalidContractConstraint, "a constraint entry names one constraint, like `- foreign_key: customers.customer_id`", at: loc)
        }
        switch key {
        case "foreign_key": return try foreignKey(value)
        case "check": return ColumnConstraint(.check, expression: try reader.string(value, what: "check"), at: reader.location(value))
        case "accepted_values": return ColumnConstraint(.acceptedValues, values: try reader.stringList(value, what: "accepted_values"), at: keyLoc)
        default:
            if let kind = ColumnConstraint.Kind(rawValue: key) {
                guard try bool(value, what: key) else { throw Diagnostic(code: .invalidContractConstraint, "write `- \(key)` to declare the constraint", at: keyLoc) }
                return ColumnConstraint(kind, at: keyLoc)
            }
            throw unknownConstraint(key, at: keyLoc)
        }
    }

    /// `model.column`, or `{model: m, column: c}`.
    private func foreignKey(_ node: Node) throws -> ColumnConstraint {
        let loc = reader.location(node)
        if case .mapping = node {
            var model: String?, column: String?
            for (k, v, kl) in try reader.mapping(node, what: "foreign_key") {
                switch k {
                case "model": model = try reader.string(v, what: "model")
                case "column": column = try reader.string(v, what: "column")
                default: throw reader.unknownKey(k, at: kl, known: ["model", "column"], in: "foreign_key")
                }
            }
            guard let model, let column else { throw Diagnostic(code: .invalidContractConstraint, "foreign_key needs a model and a column", at: loc) }
            return ColumnConstraint(.foreignKey, referencedModel: model, referencedColumn: column, at: loc)
        }
        let text = try reader.string(node, what: "foreign_key")
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw Diagnostic(code: .invalidContractConstraint, "foreign_key '\(text)' must name a model and its column, like customers.customer_id", at: loc)
        }
        return ColumnConstraint(.foreignKey, referencedModel: parts[0], referencedColumn: parts[1], at: loc)
    }

    private func unknownConstraint(_ name: String, at loc: SourceLocation?) -> Diagnostic {
        var msg = "unknown constraint '\(name)'"
        if let s = Suggestion.closest(to: name, in: Self.constraintKinds) { msg += "; did you mean '\(s)'?" }
        return Diagnostic(code: .invalidContractConstraint, msg + " (known: \(Self.constraintKinds.joined(separator: ", ")))", at: loc)
    }

    private func qualityRule(_ node: Node) throws -> QualityRule {
        let loc = reader.location(node)
        var name: String?, description = "", severity = "error"
        var kinds: [QualityRule.Kind] = []
        for (key, value, kl) in try reader.mapping(node, what: "quality rule") {
            switch key {
            case "name": name = try reader.string(value, what: "name")
            case "description": description = try reader.string(value, what: "description")
            case "severity":
                severity = try reader.string(value, what: "severity").lowercased()
                guard severity == "error" || severity == "warn" else {
                    throw Diagnostic(code: .invalidQualityRule, "severity must be error or warn, not '\(severity)'", at: reader.location(value))
                }
            case "row_count":
                var min: Int?, max: Int?
                for (k, v, l) in try reader.mapping(value, what: "row_count") {
                    switch k {
                    case "min": min = try int(v, what: "min")
                    case "max": max = try int(v, what: "max")
                    default: throw reader.unknownKey(k, at: l, known: ["min", "max"], in: "row_count")
                    }
                }
                guard min != nil || max != nil else { throw Diagnostic(code: .invalidQualityRule, "row_count needs min, max or both", at: reader.location(value)) }
                if let a = min, let b = max, a > b { throw Diagnostic(code: .invalidQualityRule, "row_count min \(a) is above max \(b)", at: reader.location(value)) }
                kinds.append(.rowCount(min: min, max: max))
            case "expression": kinds.append(.expression(try reader.string(value, what: "expression")))
            case "unique": kinds.append(.unique(try reader.stringList(value, what: "unique")))
            case "null_fraction":
                var column: String?, max: Double?
                for (k, v, l) in try reader.mapping(value, what: "null_fraction") {
                    switch k {
                    case "column": column = try reader.string(v, what: "column")
                    case "max":
                        switch reader.value(v) {
                        case .int(let i): max = Double(i)
                        case .double(let d): max = d
                        default: break
                        }
                        guard let m = max, m >= 0, m <= 1 else { throw Diagnostic(code: .invalidQualityRule, "null_fraction max must be a number from 0 to 1", at: reader.location(v)) }
                    default: throw reader.unknownKey(k, at: l, known: ["column", "max"], in: "null_fraction")
                    }
                }
                guard let column, let max else { throw Diagnostic(code: .invalidQualityRule, "null_fraction needs a column and a max", at: reader.location(value)) }
                kinds.append(.nullFraction(column: column, max: max))
            default: throw reader.unknownKey(key, at: kl, known: Self.qualityKeys, in: "quality rule")
            }
        }
        guard kinds.count == 1 else {
            throw Diagnostic(code: .invalidQualityRule, kinds.isEmpty ? "a quality rule needs one of row_count, expression, unique, null_fraction"
                                                         : "a quality rule checks one thing; split it into one entry per rule", at: loc)
        }
        return QualityRule(name: name, kind: kinds[0], severity: severity, description: description, at: loc)
    }

    private func freshness(_ node: Node) throws -> Freshness {
        var f = Freshness(column: "", at: reader.location(node))
        for (k, v, l) in try reader.mapping(node, what: "freshness") {
            switch k {
            case "column": f.column = try reader.string(v, what: "column")
            case "warn_after": f.warnAfter = try duration(v)
            case "error_after": f.errorAfter = try duration(v)
            default: throw reader.unknownKey(k, at: l, known: ["column", "warn_after", "error_after"], in: "freshness")
            }
        }
        guard !f.column.isEmpty else { throw Diagnostic(code: .invalidFreshness, "freshness needs the timestamp column to look at", at: f.location) }
        guard f.warnAfter != nil || f.errorAfter != nil else { throw Diagnostic(code: .invalidFreshness, "freshness needs warn_after, error_after or both", at: f.location) }
        return f
    }

    /// `30m`, `12h`, `2d`, or dbt's `{count: 12, period: hour}`; in seconds.
    func duration(_ node: Node) throws -> Int {
        let loc = reader.location(node)
        let units: [String: Int] = ["s": 1, "second": 1, "m": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400]
        if case .mapping = node {
            var count: Int?, period: String?
            for (k, v, l) in try reader.mapping(node, what: "duration") {
                switch k {
                case "count": count = try int(v, what: "count")
                case "period": period = try reader.string(v, what: "period")
                default: throw reader.unknownKey(k, at: l, known: ["count", "period"], in: "duration")
                }
            }
            guard let count, let period, let unit = units[period], count > 0 else {
                throw Diagnostic(code: .invalidFreshness, "a duration is {count: N, period: minute|hour|day} with N > 0", at: loc)
            }
            return count * unit
        }
        let text = try reader.string(node, what: "duration").trimmingCharacters(in: .whitespaces)
        let digits = text.prefix { $0.isNumber }
        guard let n = Int(digits), n > 0, let unit = units[String(text.dropFirst(digits.count))] else {
            throw Diagnostic(code: .invalidFreshness, "'\(text)' is not a duration like 30m, 12h or 2d", at: loc)
        }
        return n * unit
    }

    private func bool(_ node: Node, what: String) throws -> Bool {
        guard let b = reader.value(node).asBool else { throw Diagnostic(code: .invalidContractValue, "\(what) must be true or false", at: reader.location(node)) }
        return b
    }

    private func int(_ node: Node, what: String) throws -> Int {
        guard let i = reader.value(node).asInt, i >= 0 else { throw Diagnostic(code: .invalidContractValue, "\(what) must be a whole number ≥ 0", at: reader.location(node)) }
        return i
    }
}
