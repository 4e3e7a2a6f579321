import Basics
import Compilation
import ProjectModel
import Warehouse

/// Classifies what changed between the contracts of a previous build (its `target/manifest.json`) and today's.
///
/// Breaking: a contract or governed model removed, a column removed or renamed, a type changed other than widened,
/// nullability tightened or relaxed, a key/unique/foreign-key guarantee removed, a constraint added that today's data
/// violates. Non-breaking: columns and models added, types widened, constraints added that today's data satisfies,
/// descriptions, quality rules and freshness. A breaking change is allowed when the contract's major version went up
/// (`1.4.0` → `2.0.0`; for `0.y.z` the minor version; any change for versions that are not semantic versions).
public struct ContractDiff {
    public enum Kind: String, Sendable { case breaking, nonBreaking = "non-breaking", unverified }

    public struct Change: Sendable, CustomStringConvertible {
        public var contract: String
        public var kind: Kind
        public var message: String
        public var location: SourceLocation?
        /// A breaking change the contract's version bump allows.
        public var allowedByVersion: String?
        public var description: String { "\(contract): \(message)" }
    }

    /// Counts the rows violating a constraint, described as `ContractSQL` describes it, on the contract's first model;
    /// nil when no database is available.
    public var violations: ((Contract, String) -> Int?)?

    public init(violations: ((Contract, String) -> Int?)? = nil) {
        self.violations = violations
    }

    public func diff(old: [Contract], new: [Contract], models: Set<String>) -> [Change] {
        var changes: [Change] = []
        let newByName = Dictionary(new.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for o in old.sorted(by: { $0.name < $1.name }) {
            guard let n = newByName[o.name] else {
                changes.append(Change(contract: o.name, kind: .breaking, message: "contract removed (it governed \(o.models.map(\.value).joined(separator: ", ")))", location: nil))
                continue
            }
            var local = compare(o, n, models: models)
            if let allowed = Self.versionAllowsBreaking(old: o.version, new: n.version) {
                for i in local.indices where local[i].kind == .breaking { local[i].allowedByVersion = allowed }
            }
            changes += local
        }
        for n in new where !old.contains(where: { $0.name == n.name }) {
            changes.append(Change(contract: n.name, kind: .nonBreaking, message: "new contract", location: n.location))
        }
        return changes
    }

    func compare(_ o: Contract, _ n: Contract, models: Set<String>) -> [Change] {
        var out: [Change] = []
        func add(_ kind: Kind, _ message: String, _ location: SourceLocation?) {
            out.append(Change(contract: n.name, kind: kind, message: message, location: location ?? n.location))
        }
        let newModels = Set(n.models.map(\.value))
        for m in o.models.map(\.value) where !newModels.contains(m) || !models.contains(m) {
            add(.breaking, models.contains(m) ? "no longer governs model '\(m)'" : "model '\(m)' was removed", n.location)
        }
        for m in n.models where !o.models.contains(where: { $0.value == m.value }) { add(.nonBreaking, "now governs model '\(m.value)'", m.location) }

        let newCols = Dictionary(n.columns.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let oldCols = Dictionary(o.columns.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let added = n.columns.filter { oldCols[$0.name] == nil }
        for (i, c) in o.columns.enumerated() {
            guard let nc = newCols[c.name] else {
                // a new column where the old one was, with the same type, reads as a rename
                let renamed = added.first { a in n.columns.firstIndex(where: { $0.name == a.name }) == i && TypeName(a.dataType).base == TypeName(c.dataType).base }
                add(.breaking, renamed.map { "column '\(c.name)' was renamed to '\($0.name)'" } ?? "column '\(c.name)' was removed", renamed?.location ?? n.location)
                continue
            }
            let (ot, nt) = (TypeName(c.dataType), TypeName(nc.dataType))
            if ot != nt {
                if nt.widens(ot) { add(.nonBreaking, "column '\(c.name)' type widened from \(c.dataType) to \(nc.dataType)", nc.dataTypeLocation ?? nc.location) }
                else { add(.breaking, "column '\(c.name)' type changed from \(c.dataType) to \(nc.dataType)", nc.dataTypeLocation ?? nc.location) }
            }
            if c.notNull != nc.notNull {
                if nc.notNull { add(.breaking, "column '\(c.name)' is now NOT NULL (nullability tightened)", nc.location) }
                else { add(.breaking, "column '\(c.name)' may now be NULL (nullability relaxed: consumers may rely on it)", nc.location) }
            }
            let oldKinds = Set(c.constraints.map(Self.key)), newKinds = Set(nc.constraints.map(Self.key))
            for k in c.constraints where !newKinds.contains(Self.key(k)) {
                let guarantee = [.primaryKey, .unique, .foreignKey].contains(k.kind)
                add(guarantee ? .breaking : .nonBreaking, "column '\(c.name)' lost its \(Self.key(k)) constraint", nc.location)
            }
            for k in nc.constraints where !oldKinds.contains(Self.key(k)) {
                addConstraint(n, Self.violationName(k, column: c.name), "column '\(c.name)' gained a \(Self.key(k)) constraint", k.location ?? nc.location, into: &out)
            }
        }
        for a in added where !out.contains(where: { $0.message.hasSuffix("renamed to '\(a.name)'") }) {
            add(.nonBreaking, "column '\(a.name)' was added", a.location)
        }
        if o.primaryKey?.value != n.primaryKey?.value, o.primaryKeyColumns != n.primaryKeyColumns {
            if n.primaryKeyColumns.isEmpty { add(.breaking, "the primary key (\(o.primaryKeyColumns.joined(separator: ", "))) was removed", n.location) }
            else { addConstraint(n, "primary_key(\(n.primaryKeyColumns.joined(separator: ", ")))", "the primary key is now (\(n.primaryKeyColumns.joined(separator: ", ")))", n.primaryKey?.location, into: &out) }
        }
        let oldUnique = Set(o.unique.map(\.value)), newUnique = Set(n.unique.map(\.value))
        for u in oldUnique.subtracting(newUnique).sorted(by: { $0.joined() < $1.joined() }) { add(.breaking, "unique (\(u.joined(separator: ", "))) was removed", n.location) }
        for u in n.unique where !oldUnique.contains(u.value) {
            addConstraint(n, "unique(\(u.value.joined(separator: ", ")))", "unique (\(u.value.joined(separator: ", "))) was added", u.location, into: &out)
        }
        let oldChecks = Set(o.checks.map(\.value))
        for c in n.checks where !oldChecks.contains(c.value) { addConstraint(n, "check(\(c.value))", "check (\(c.value)) was added", c.location, into: &out) }
        for c in oldChecks.subtracting(n.checks.map(\.value)).sorted() { add(.nonBreaking, "check (\(c)) was removed", n.location) }
        if o.quality.count != n.quality.count || zip(o.quality, n.quality).contains(where: { $0.kind != $1.kind || $0.severity != $1.severity }) {
            add(.nonBreaking, "quality rules changed", n.location)
        }
        if o.freshness?.column != n.freshness?.column || o.freshness?.warnAfter != n.freshness?.warnAfter || o.freshness?.errorAfter != n.freshness?.errorAfter {
            if o.freshness != nil || n.freshness != nil { add(.nonBreaking, "freshness changed", n.freshness?.location ?? n.location) }
        }
        if o.description != n.description || o.columns.contains(where: { c in newCols[c.name].map { $0.description != c.description } ?? false }) {
            add(.nonBreaking, "descriptions changed", n.location)
        }
        return out
    }

    /// A constraint added: breaking when today's data violates it, non-breaking when it holds, unverified offline.
    private func addConstraint(_ contract: Contract, _ description: String, _ message: String, _ location: SourceLocation?, into out: inout [Change]) {
        let count = violations?(contract, description)
        let kind: Kind, suffix: String
        switch count {
        case .none: (kind, suffix) = (.unverified, " (not checked against today's data: no database, or the relation is not built yet)")
        case .some(0): (kind, suffix) = (.nonBreaking, " (today's data satisfies it)")
        case .some(let n): (kind, suffix) = (.breaking, " (today's data violates it: \(n) row\(n == 1 ? "" : "s"))")
        }
        out.append(Change(contract: contract.name, kind: kind, message: message + suffix, location: location ?? contract.location))
    }

    static func key(_ k: ColumnConstraint) -> String {
        switch k.kind {
        case .foreignKey: return "foreign_key(\(k.referencedModel ?? "").\(k.referencedColumn ?? ""))"
        case .check: return "check(\(k.expression ?? ""))"
        case .acceptedValues: return "accepted_values(\(k.values.joined(separator: ", ")))"
        default: return k.kind.rawValue
        }
    }

    /// The description `ContractSQL.constraintChecks` gives this constraint.
    static func violationName(_ k: ColumnConstraint, column: String) -> String {
        switch k.kind {
        case .notNull: return "not_null(\(column))"
        case .unique: return "unique(\(column))"
        case .primaryKey: return "primary_key(\(column))"
        case .check: return "check(\(k.expression ?? ""))"
        case .acceptedValues: return "accepted_values(\(column))"
        case .foreignKey: return "foreign_key(\(column) → \(k.referencedModel ?? "").\(k.referencedColumn ?? ""))"
        }
    }

    /// "1.2.0 → 2.0.0" when the version change allows breaking changes, nil otherwise.
    static func versionAllowsBreaking(old: String?, new: String?) -> String? {
        guard let new, new != old else { return nil }
        guard let old else { return "version \(new) declared" }
        func parts(_ v: String) -> [Int]? {
            let p = v.trimmingCharacters(in: .whitespaces).drop { $0 == "v" }.split(separator: ".").map { Int($0) }
            return p.count == 3 && p.allSatisfy({ $0 != nil }) ? p.map { $0! } : nil
        }
        guard let o = parts(old), let n = parts(new) else { return "\(old) → \(new)" }
        if n[0] > o[0] || (o[0] == 0 && n[0] == 0 && n[1] > o[1]) { return "\(old) → \(new)" }
        return nil
    }
}

/// A PostgreSQL type name, normalized offline (aliases, lengths, precision and scale) for comparing contract versions.
struct TypeName: Equatable {
    var base: String
    var modifiers: [Int]
    var array: Bool

    init(_ raw: String) {
        var s = raw.lowercased().trimmingCharacters(in: .whitespaces)
        array = s.hasSuffix("[]")
        if array { s = String(s.dropLast(2)).trimmingCharacters(in: .whitespaces) }
        var mods: [Int] = []
        if let open = s.firstIndex(of: "("), let close = s.lastIndex(of: ")"), open < close {
            mods = s[s.index(after: open)..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            s = String(s[..<open]) + String(s[s.index(after: close)...])
        }
        s = s.split(separator: " ").joined(separator: " ")
        let aliases = ["int": "integer", "int4": "integer", "int8": "bigint", "int2": "smallint", "float8": "double precision", "float": "double precision",
                       "float4": "real", "varchar": "character varying", "bool": "boolean", "timestamptz": "timestamp with time zone",
                       "timestamp": "timestamp without time zone", "decimal": "numeric", "char": "character", "bpchar": "character",
                       "timetz": "time with time zone", "time": "time without time zone"]
        base = aliases[s] ?? s
        modifiers = mods
    }

    /// Whether every value of `old` fits this type without loss.
    func widens(_ old: TypeName) -> Bool {
        guard array == old.array else { return false }
        let integers = ["smallint": 1, "integer": 2, "bigint": 3]
        switch (old.base, base) {
        case let (a, b) where integers[a] != nil && integers[b] != nil: return integers[b]! >= integers[a]!
        case (let a, "numeric") where integers[a] != nil: return modifiers.isEmpty || (modifiers[0] - (modifiers.count > 1 ? modifiers[1] : 0)) >= [1: 5, 2: 10, 3: 19][integers[a]!]!
        case ("smallint", "double precision"), ("integer", "double precision"), ("real", "double precision"): return true
        case ("numeric", "numeric"):
            if modifiers.isEmpty { return true }
            guard !old.modifiers.isEmpty else { return false }
            let (op, os) = (old.modifiers[0], old.modifiers.count > 1 ? old.modifiers[1] : 0)
            let (np, ns) = (modifiers[0], modifiers.count > 1 ? modifiers[1] : 0)
            return ns >= os && np - ns >= op - os
        case ("character varying", "character varying"), ("character", "character varying"):
            return modifiers.isEmpty || (!old.modifiers.isEmpty && modifiers[0] >= old.modifiers[0])
        case ("character varying", "text"), ("character", "text"): return true
        case ("timestamp without time zone", "timestamp without time zone"), ("timestamp with time zone", "timestamp with time zone"):
            return modifiers.isEmpty || (!old.modifiers.isEmpty && modifiers[0] >= old.modifiers[0])
        default: return false
        }
    }
}
