import Basics
import ProjectModel

/// Contracts as JSON-shaped values: written into `target/manifest.json` (`contracts`), read back by `contracts diff`.
public enum ContractCodec {
    public static func encode(_ c: Contract) -> ConfigValue {
        func str(_ s: String?) -> ConfigValue { s.map { .string($0) } ?? .null }
        func strings(_ l: [String]) -> ConfigValue { .list(l.map { .string($0) }) }
        let columns: [ConfigValue] = c.columns.map { col in
            .dict([
                ConfigEntry("name", .string(col.name)), ConfigEntry("data_type", .string(col.dataType)), ConfigEntry("nullable", .bool(!col.notNull)),
                ConfigEntry("description", .string(col.description)),
                ConfigEntry("constraints", .list(col.constraints.map { k in
                    var e = [ConfigEntry("type", .string(k.kind.rawValue))]
                    if let m = k.referencedModel { e.append(ConfigEntry("model", .string(m))) }
                    if let x = k.referencedColumn { e.append(ConfigEntry("column", .string(x))) }
                    if let x = k.expression { e.append(ConfigEntry("expression", .string(x))) }
                    if !k.values.isEmpty { e.append(ConfigEntry("values", strings(k.values))) }
                    return .dict(e)
                })),
            ])
        }
        let quality: [ConfigValue] = c.quality.map { q in
            var e = [ConfigEntry("name", str(q.name)), ConfigEntry("severity", .string(q.severity))]
            switch q.kind {
            case .rowCount(let min, let max): e.append(ConfigEntry("row_count", .dict([ConfigEntry("min", min.map { .int($0) } ?? .null), ConfigEntry("max", max.map { .int($0) } ?? .null)])))
            case .expression(let x): e.append(ConfigEntry("expression", .string(x)))
            case .unique(let cols): e.append(ConfigEntry("unique", strings(cols)))
            case .nullFraction(let col, let max): e.append(ConfigEntry("null_fraction", .dict([ConfigEntry("column", .string(col)), ConfigEntry("max", .double(max))])))
            }
            return .dict(e)
        }
        var out = [
            ConfigEntry("name", .string(c.name)), ConfigEntry("origin", .string(c.origin.rawValue)), ConfigEntry("path", .string(c.path)),
            ConfigEntry("version", str(c.version)), ConfigEntry("status", str(c.status)), ConfigEntry("owner", str(c.owner)),
            ConfigEntry("description", .string(c.description)), ConfigEntry("models", strings(c.models.map(\.value))),
            ConfigEntry("columns", .list(columns)), ConfigEntry("primary_key", c.primaryKey.map { strings($0.value) } ?? .null),
            ConfigEntry("unique", .list(c.unique.map { strings($0.value) })), ConfigEntry("checks", strings(c.checks.map(\.value))),
            ConfigEntry("quality", .list(quality)),
        ]
        if let f = c.freshness {
            out.append(ConfigEntry("freshness", .dict([ConfigEntry("column", .string(f.column)), ConfigEntry("warn_after", f.warnAfter.map { .int($0) } ?? .null),
                                                       ConfigEntry("error_after", f.errorAfter.map { .int($0) } ?? .null)])))
        }
        return .dict(out)
    }

    /// The contract a manifest recorded (enough of it for `contracts diff`).
    public static func decode(_ v: ConfigValue) -> Contract? {
        guard let name = v["name"]?.asString else { return nil }
        var c = Contract(name: name, origin: Contract.Origin(rawValue: v["origin"]?.asString ?? "") ?? .contractFile, path: v["path"]?.asString ?? "",
                         version: v["version"]?.asString, status: v["status"]?.asString, owner: v["owner"]?.asString,
                         description: v["description"]?.asString ?? "", models: (v["models"]?.stringList ?? []).map { Located($0) })
        for col in v["columns"]?.asList ?? [] {
            guard let n = col["name"]?.asString else { continue }
            let constraints: [ColumnConstraint] = (col["constraints"]?.asList ?? []).compactMap { k in
                guard let kind = ColumnConstraint.Kind(rawValue: k["type"]?.asString ?? "") else { return nil }
                return ColumnConstraint(kind, referencedModel: k["model"]?.asString, referencedColumn: k["column"]?.asString, expression: k["expression"]?.asString,
                                        values: k["values"]?.stringList ?? [])
            }
            c.columns.append(ContractColumn(name: n, dataType: col["data_type"]?.asString ?? "", nullable: col["nullable"]?.asBool ?? true,
                                            description: col["description"]?.asString ?? "", constraints: constraints))
        }
        if let pk = v["primary_key"]?.asList { c.primaryKey = Located(pk.compactMap(\.asString)) }
        c.unique = (v["unique"]?.asList ?? []).map { Located($0.stringList) }
        c.checks = (v["checks"]?.stringList ?? []).map { Located($0) }
        c.quality = (v["quality"]?.asList ?? []).compactMap { q in
            let kind: QualityRule.Kind
            if let r = q["row_count"], r.asDict != nil { kind = .rowCount(min: r["min"]?.asInt, max: r["max"]?.asInt) }
            else if let e = q["expression"]?.asString { kind = .expression(e) }
            else if let u = q["unique"]?.asList { kind = .unique(u.compactMap(\.asString)) }
            else if let n = q["null_fraction"], let col = n["column"]?.asString {
                let max: Double
                switch n["max"] { case .double(let d)?: max = d; case .int(let i)?: max = Double(i); default: max = 0 }
                kind = .nullFraction(column: col, max: max)
            } else { return nil }
            return QualityRule(name: q["name"]?.asString, kind: kind, severity: q["severity"]?.asString ?? "error")
        }
        if let f = v["freshness"], let col = f["column"]?.asString {
            c.freshness = Freshness(column: col, warnAfter: f["warn_after"]?.asInt, errorAfter: f["error_after"]?.asInt)
        }
        return c
    }
}
