import ProjectModel

/// Column-level lineage from a model's compiled SQL: which upstream columns each output column reads.
///
/// A small SQL reader for the shapes dbt models are written in: `WITH` chains of CTEs, `SELECT` lists with
/// aliases, `*` and `alias.*`, `FROM`/`JOIN` over relations, CTEs and subqueries, `UNION`. Column references
/// resolve through CTEs and subqueries down to upstream relations; an unqualified name resolves when exactly one
/// source has it. What it cannot read (a lateral function, an ambiguous name, dynamic SQL) is left out rather
/// than guessed: lineage is a subset, never wrong on purpose.
public struct ColumnLineage {
    public struct Origin: Hashable, Sendable, Comparable {
        public var node: NodeID
        public var column: String
        public static func < (a: Origin, b: Origin) -> Bool { (a.node.rawValue, a.column) < (b.node.rawValue, b.column) }
    }
    public typealias Columns = [(name: String, origins: Set<Origin>)]

    /// Resolves a relation name (schema and identifier, as written) to an upstream node.
    let relation: (_ schema: String?, _ name: String) -> NodeID?
    /// The columns of an upstream node, when known (its own lineage, a seed's header, the catalog).
    let columnsOf: (NodeID) -> [String]?

    public init(relation: @escaping (String?, String) -> NodeID?, columnsOf: @escaping (NodeID) -> [String]?) {
        self.relation = relation
        self.columnsOf = columnsOf
    }

    public func analyze(_ sql: String) -> Columns {
        var p = Parser(tokens: Self.tokenize(sql), lineage: self)
        return p.query(ctes: [:])
    }

    // MARK: tokens

    enum Token: Equatable {
        case ident(String, quoted: Bool)
        case string
        case number
        case symbol(String)

        var word: String? { if case .ident(let s, false) = self { return s } else { return nil } }
        var name: String? { if case .ident(let s, _) = self { return s } else { return nil } }
        func isSymbol(_ s: String) -> Bool { self == .symbol(s) }
        func isWord(_ w: String) -> Bool { word == w }
    }

    static func tokenize(_ sql: String) -> [Token] {
        let s = Array(sql.unicodeScalars)
        var out: [Token] = []
        var i = 0
        func isIdentStart(_ c: Unicode.Scalar) -> Bool { c == "_" || (c.properties.isAlphabetic) }
        func isIdent(_ c: Unicode.Scalar) -> Bool { isIdentStart(c) || ("0"..."9").contains(c) || c == "$" }
        while i < s.count {
            let c = s[i]
            if c == " " || c == "\n" || c == "\t" || c == "\r" { i += 1; continue }
            if c == "-", i + 1 < s.count, s[i + 1] == "-" { while i < s.count, s[i] != "\n" { i += 1 }; continue }
            if c == "/", i + 1 < s.count, s[i + 1] == "*" {
                i += 2
                while i + 1 < s.count, !(s[i] == "*" && s[i + 1] == "/") { i += 1 }
                i += 2
                continue
            }
            if c == "'" {
                i += 1
                while i < s.count { if s[i] == "'" { if i + 1 < s.count, s[i + 1] == "'" { i += 2; continue }; break }; i += 1 }
                i += 1
                out.append(.string)
                continue
            }
            if c == "\"" {
                var name = String.UnicodeScalarView()
                i += 1
                while i < s.count { if s[i] == "\"" { if i + 1 < s.count, s[i + 1] == "\"" { name.append("\""); i += 2; continue }; break }; name.append(s[i]); i += 1 }
                i += 1
                out.append(.ident(String(name), quoted: true))
                continue
            }
            if isIdentStart(c) {
                var name = String.UnicodeScalarView()
                while i < s.count, isIdent(s[i]) { name.append(s[i]); i += 1 }
                out.append(.ident(String(name).lowercased(), quoted: false))
                continue
            }
            if ("0"..."9").contains(c) {
                while i < s.count, ("0"..."9").contains(s[i]) || s[i] == "." || s[i] == "e" || s[i] == "E" { i += 1 }
                out.append(.number)
                continue
            }
            if c == ":", i + 1 < s.count, s[i + 1] == ":" { out.append(.symbol("::")); i += 2; continue }
            out.append(.symbol(String(c)))
            i += 1
        }
        return out
    }

    // MARK: parsing

    /// What a name in FROM stands for.
    enum Source {
        case relation(NodeID?, [String]?)
        case derived(Columns)

        func columns(_ lineage: ColumnLineage) -> Columns? {
            switch self {
            case .derived(let c): return c
            case .relation(let id, let cols):
                guard let id, let cols = cols ?? lineage.columnsOf(id) else { return nil }
                return cols.map { ($0, [Origin(node: id, column: $0)]) }
            }
        }
    }

    static let clauseEnd: Set<String> = ["where", "group", "having", "order", "limit", "offset", "fetch", "window", "union", "intersect", "except", "for", "qualify"]
    static let joinWords: Set<String> = ["join", "left", "right", "full", "inner", "cross", "outer", "natural", "lateral"]
    static let keywords: Set<String> = [
        "select", "from", "where", "case", "when", "then", "else", "end", "and", "or", "not", "null", "true", "false", "is", "in", "like",
        "ilike", "between", "distinct", "as", "over", "partition", "by", "order", "asc", "desc", "nulls", "first", "last", "interval",
        "filter", "rows", "range", "preceding", "following", "unbounded", "current", "row", "exists", "any", "all", "some", "within",
        "group", "similar", "escape", "at", "time", "zone", "with", "without", "on", "using", "current_date", "current_timestamp",
        "localtimestamp", "current_time", "array", "collate", "isnull", "notnull", "leading", "trailing", "both", "varying", "precision",
    ]

    struct Parser {
        let tokens: [Token]
        let lineage: ColumnLineage
        var i = 0

        init(tokens: [Token], lineage: ColumnLineage) {
            self.tokens = tokens
            self.lineage = lineage
        }

        var peek: Token? { i < tokens.count ? tokens[i] : nil }

        /// Index after the parenthesized group starting at `start` (which holds "(").
        func skipGroup(_ start: Int) -> Int {
            var depth = 0, j = start
            while j < tokens.count {
                if tokens[j].isSymbol("(") { depth += 1 } else if tokens[j].isSymbol(")") { depth -= 1; if depth == 0 { return j + 1 } }
                j += 1
            }
            return j
        }

        /// A query up to the end of its group (a closing parenthesis at depth 0, `;` or the end).
        mutating func query(ctes outer: [String: Columns]) -> Columns {
            var ctes = outer
            if peek?.isWord("with") == true {
                i += 1
                if peek?.isWord("recursive") == true { i += 1 }
                while let name = peek?.name {
                    i += 1
                    if peek?.isSymbol("(") == true { i = skipGroup(i) }   // column list: names come from the body
                    guard peek?.isWord("as") == true else { break }
                    i += 1
                    if peek?.isWord("not") == true { i += 1 }
                    if peek?.isWord("materialized") == true { i += 1 }
                    guard peek?.isSymbol("(") == true else { break }
                    let end = skipGroup(i)
                    var sub = Parser(tokens: Array(tokens[(i + 1)..<max(i + 1, end - 1)]), lineage: lineage)
                    ctes[name] = sub.query(ctes: ctes)
                    i = end
                    if peek?.isSymbol(",") == true { i += 1 } else { break }
                }
            }
            var result = select(ctes: ctes)
            while let w = peek?.word, ["union", "intersect", "except"].contains(w) {
                i += 1
                if peek?.isWord("all") == true || peek?.isWord("distinct") == true { i += 1 }
                let next = select(ctes: ctes)
                for k in result.indices where k < next.count { result[k].origins.formUnion(next[k].origins) }
            }
            return result
        }

        /// One SELECT (or a parenthesized query).
        mutating func select(ctes: [String: Columns]) -> Columns {
            if peek?.isSymbol("(") == true {
                let end = skipGroup(i)
                var sub = Parser(tokens: Array(tokens[(i + 1)..<max(i + 1, end - 1)]), lineage: lineage)
                i = end
                return sub.query(ctes: ctes)
            }
            guard peek?.isWord("select") == true else { i = tokens.count; return [] }
            i += 1
            if peek?.isWord("distinct") == true {
                i += 1
                if peek?.isWord("on") == true { i += 1; if peek?.isSymbol("(") == true { i = skipGroup(i) } }
            } else if peek?.isWord("all") == true { i += 1 }
            // select list: top-level items up to FROM (or the end of the select)
            var items: [[Token]] = []
            var current: [Token] = []
            var depth = 0
            while let t = peek {
                if depth == 0, let w = t.word, w == "from" || Self.isEnd(w) { break }
                if depth == 0, t.isSymbol(")") || t.isSymbol(";") { break }
                if t.isSymbol("(") { depth += 1 } else if t.isSymbol(")") { depth -= 1 }
                if depth == 0, t.isSymbol(",") { items.append(current); current = [] } else { current.append(t) }
                i += 1
            }
            if !current.isEmpty { items.append(current) }
            var sources: [(alias: String, source: Source)] = []
            if peek?.isWord("from") == true {
                i += 1
                sources = fromClause(ctes: ctes)
            }
            // skip the rest of this select (where, group by, …) up to a set operation or the end
            depth = 0
            while let t = peek {
                if depth == 0, let w = t.word, ["union", "intersect", "except"].contains(w) { break }
                if depth == 0, t.isSymbol(")") || t.isSymbol(";") { break }
                if t.isSymbol("(") { depth += 1 } else if t.isSymbol(")") { depth -= 1 }
                i += 1
            }
            var out: Columns = []
            for item in items { out += selectItem(item, sources: sources) }
            return out
        }

        static func isEnd(_ w: String) -> Bool { ColumnLineage.clauseEnd.contains(w) }

        mutating func fromClause(ctes: [String: Columns]) -> [(alias: String, source: Source)] {
            var out: [(String, Source)] = []
            while let t = peek {
                if let w = t.word, Self.isEnd(w) { break }
                if t.isSymbol(")") || t.isSymbol(";") { break }
                if t.isSymbol(",") { i += 1; continue }
                if let w = t.word, ColumnLineage.joinWords.contains(w) { i += 1; continue }
                if t.isWord("on") {
                    // a join condition: skip to the next join keyword, comma or clause end at this depth
                    i += 1
                    var depth = 0
                    while let u = peek {
                        if depth == 0, let w = u.word, ColumnLineage.joinWords.contains(w) || Self.isEnd(w) { break }
                        if depth == 0, u.isSymbol(",") || u.isSymbol(")") || u.isSymbol(";") { break }
                        if u.isSymbol("(") { depth += 1 } else if u.isSymbol(")") { depth -= 1 }
                        i += 1
                    }
                    continue
                }
                if t.isWord("using") { i += 1; if peek?.isSymbol("(") == true { i = skipGroup(i) }; continue }
                var source: Source
                var defaultAlias = ""
                if t.isSymbol("(") {
                    let end = skipGroup(i)
                    var sub = Parser(tokens: Array(tokens[(i + 1)..<max(i + 1, end - 1)]), lineage: lineage)
                    source = .derived(sub.query(ctes: ctes))
                    i = end
                } else if let name = t.name {
                    var parts = [name]
                    i += 1
                    while peek?.isSymbol(".") == true, i + 1 < tokens.count, let next = tokens[i + 1].name { parts.append(next); i += 2 }
                    if peek?.isSymbol("(") == true {
                        i = skipGroup(i)   // a set-returning function: columns unknown
                        source = .relation(nil, nil)
                    } else if parts.count == 1, let cte = ctes[name] {
                        source = .derived(cte)
                    } else {
                        let schema = parts.count >= 2 ? parts[parts.count - 2] : nil
                        source = .relation(lineage.relation(schema, parts.last!), nil)
                    }
                    defaultAlias = parts.last!
                } else { i += 1; continue }
                // alias
                if peek?.isWord("as") == true { i += 1 }
                if let a = peek?.name, !(peek?.word.map { ColumnLineage.keywords.contains($0) || ColumnLineage.joinWords.contains($0) || Self.isEnd($0) } ?? false) {
                    defaultAlias = a
                    i += 1
                    if peek?.isSymbol("(") == true { i = skipGroup(i) }   // column aliases
                }
                out.append((defaultAlias, source))
            }
            return out
        }

        func selectItem(_ item: [Token], sources: [(alias: String, source: Source)]) -> Columns {
            guard !item.isEmpty else { return [] }
            if item == [.symbol("*")] {
                return sources.flatMap { $0.source.columns(lineage) ?? [] }
            }
            if item.count == 3, let a = item[0].name, item[1].isSymbol("."), item[2].isSymbol("*") {
                return sources.first { $0.alias == a }?.source.columns(lineage) ?? []
            }
            // output name: AS alias, a trailing bare alias, the column of a plain reference, a function's name
            var expr = item
            var name: String?
            if expr.count >= 2, expr[expr.count - 2].isWord("as"), let a = expr.last?.name {
                name = a
                expr.removeLast(2)
            } else if expr.count >= 2, let a = expr.last?.name, !(expr.last?.word.map { ColumnLineage.keywords.contains($0) } ?? false),
                      !expr[expr.count - 2].isSymbol("."), !expr[expr.count - 2].isSymbol("::"),
                      expr[expr.count - 2].name != nil || expr[expr.count - 2].isSymbol(")") || expr[expr.count - 2] == .string || expr[expr.count - 2] == .number {
                name = a
                expr.removeLast()
            }
            var origins = Set<Origin>()
            var k = 0
            var plainRef: String?
            var castDepth: [Int] = []
            var depth = 0
            while k < expr.count {
                let t = expr[k]
                if t.isSymbol("(") {
                    depth += 1
                    // a scalar subquery: its own scope, not read here
                    if k + 1 < expr.count, expr[k + 1].isWord("select") {
                        var d = 0, j = k
                        while j < expr.count { if expr[j].isSymbol("(") { d += 1 } else if expr[j].isSymbol(")") { d -= 1; if d == 0 { break } }; j += 1 }
                        k = j + 1
                        depth -= 1
                        continue
                    }
                    k += 1
                    continue
                }
                if t.isSymbol(")") { depth -= 1; if castDepth.last == depth + 1 { castDepth.removeLast() }; k += 1; continue }
                if t.isSymbol("::") {
                    // a type name follows: skip its words and any (precision)
                    k += 1
                    while k < expr.count, expr[k].name != nil { k += 1 }
                    if k < expr.count, expr[k].isSymbol("(") { var d = 0; while k < expr.count { if expr[k].isSymbol("(") { d += 1 } else if expr[k].isSymbol(")") { d -= 1; if d == 0 { k += 1; break } }; k += 1 } }
                    if k < expr.count, expr[k].isSymbol("[") { k += 2 }
                    continue
                }
                if t.isWord("as"), depth > 0 {
                    // cast(x as type): skip the type up to the closing parenthesis
                    k += 1
                    while k < expr.count, !expr[k].isSymbol(")") { k += 1 }
                    continue
                }
                guard let n = t.name else { k += 1; continue }
                if let w = t.word, ColumnLineage.keywords.contains(w) { k += 1; continue }
                if k + 1 < expr.count, expr[k + 1].isSymbol("(") { k += 1; continue }      // a function
                if k + 1 < expr.count, expr[k + 1] == .string { k += 2; continue }         // date '2024-01-01'
                if k + 2 < expr.count, expr[k + 1].isSymbol("."), let col = expr[k + 2].name {
                    if k + 3 < expr.count, expr[k + 3].isSymbol("(") { k += 4; continue }  // schema.function(
                    origins.formUnion(resolve(col, in: n, sources: sources))
                    if expr.count == 3 { plainRef = col }
                    k += 3
                    continue
                }
                origins.formUnion(resolve(n, in: nil, sources: sources))
                if expr.count == 1 { plainRef = n }
                k += 1
            }
            if name == nil {
                if let r = plainRef { name = r }
                else if let first = expr.first?.name, expr.count > 1, expr[1].isSymbol("(") {
                    name = first == "cast" || first == "coalesce" ? (expr.dropFirst(2).first?.name ?? first) : first
                } else if let first = expr.first?.name, expr.count >= 3, expr[1].isSymbol("::") || (expr[1].isSymbol(".") && expr.count >= 4 && expr[3].isSymbol("::")) {
                    name = expr[1].isSymbol("::") ? first : expr[2].name
                } else if expr.first?.isWord("case") == true { name = "case" }
                else { name = "?column?" }
            }
            return [(name!, origins)]
        }

        func resolve(_ column: String, in alias: String?, sources: [(alias: String, source: Source)]) -> Set<Origin> {
            if let alias {
                guard let s = sources.first(where: { $0.alias == alias })?.source else { return [] }
                return origins(of: column, in: s)
            }
            var matches: [Set<Origin>] = []
            for s in sources {
                if let cols = s.source.columns(lineage), let c = cols.first(where: { $0.name == column }) { matches.append(c.origins) }
            }
            if matches.count == 1 { return matches[0] }
            if matches.isEmpty, sources.count == 1, case .relation(let id?, _) = sources[0].source { return [Origin(node: id, column: column)] }
            return []
        }

        func origins(of column: String, in source: Source) -> Set<Origin> {
            switch source {
            case .derived(let cols): return cols.first { $0.name == column }?.origins ?? []
            case .relation(let id, _): return id.map { [Origin(node: $0, column: column)] } ?? []
            }
        }
    }
}
