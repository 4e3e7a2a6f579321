import Basics

/// Recursive-descent parser: tokens → AST. Operator precedence follows Jinja2's.
struct Parser {
    let tokens: [Token]
    let source: TemplateSource
    var index = 0
    /// Nesting of expressions and blocks; bounded so hostile input errors instead of overflowing the stack.
    var depth = 0
    static let maxDepth = 200

    init(tokens: [Token], source: TemplateSource) {
        self.tokens = tokens
        self.source = source
    }

    // MARK: helpers

    var current: Token { tokens[index] }
    func peek(_ n: Int = 1) -> Token { tokens[min(index + n, tokens.count - 1)] }

    mutating func advance() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    func error(_ message: String, at offset: Int? = nil) -> Diagnostic {
        Diagnostic(code: .templateSyntax, message, at: source.location(ofUTF8Offset: offset ?? current.offset))
    }

    func isOp(_ op: String) -> Bool { current.kind == .op && current.text == op }
    func isName(_ name: String) -> Bool { current.kind == .name && current.text == name }

    mutating func expectOp(_ op: String) throws {
        guard isOp(op) else { throw error("expected '\(op)', found \(describe(current))") }
        _ = advance()
    }

    mutating func expectName() throws -> String {
        guard current.kind == .name else { throw error("expected a name, found \(describe(current))") }
        return advance().text
    }

    mutating func expectStmtClose() throws {
        guard current.kind == .stmtClose else { throw error("expected '%}', found \(describe(current))") }
        _ = advance()
    }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .eof: return "end of file"
        case .stmtClose: return "'%}'"
        case .exprClose: return "'}}'"
        case .stmtOpen: return "'{%'"
        case .exprOpen: return "'{{'"
        case .text: return "text"
        case .string: return "string '\(t.text)'"
        default: return "'\(t.text)'"
        }
    }

    // MARK: template structure

    mutating func parseTemplate() throws -> [Node] {
        let (nodes, end) = try parseBody(until: [])
        if let end { throw error("unexpected '{% \(end) %}' with no open block") }
        return nodes
    }

    /// Parses nodes until a `{% name %}` whose name is in `terminators`; returns that name with the index on it.
    mutating func parseBody(until terminators: Set<String>) throws -> ([Node], String?) {
        var nodes: [Node] = []
        while true {
            let t = current
            switch t.kind {
            case .eof:
                return (nodes, nil)
            case .text:
                _ = advance()
                nodes.append(.text(t.text, offset: t.offset))
            case .exprOpen:
                _ = advance()
                let e = try parseTuple()
                guard current.kind == .exprClose else { throw error("expected '}}', found \(describe(current))") }
                _ = advance()
                nodes.append(.output(e))
            case .stmtOpen:
                let keyword = peek()
                guard keyword.kind == .name else { throw error("expected a statement name after '{%'", at: keyword.offset) }
                if terminators.contains(keyword.text) {
                    _ = advance() // '{%'
                    return (nodes, keyword.text)
                }
                _ = advance()
                nodes.append(try parseStatement())
            default:
                throw error("unexpected \(describe(t))")
            }
        }
    }

    mutating func parseBlock(_ open: String, at offset: Int, ends: Set<String>) throws -> ([Node], String) {
        let (body, end) = try parseBody(until: ends)
        guard let end else {
            let expected = ends.sorted().map { "'{% \($0) %}'" }.joined(separator: " or ")
            throw Diagnostic(code: .unclosedBlock, "'{% \(open) %}' is never closed: expected \(expected)", at: source.location(ofUTF8Offset: offset))
        }
        return (body, end)
    }

    mutating func parseStatement() throws -> Node {
        try nest()
        defer { depth -= 1 }
        let kw = advance()
        switch kw.text {
        case "if": return try parseIf(at: kw.offset)
        case "for": return try parseFor(at: kw.offset)
        case "set": return try parseSet(at: kw.offset)
        case "macro", "test": return try parseMacro(kind: kw.text, at: kw.offset)
        case "call": return try parseCall(at: kw.offset)
        case "filter": return try parseFilterBlock(at: kw.offset)
        case "do":
            let e = try parseTuple()
            try expectStmtClose()
            return .doExpr(e)
        case "break":
            try expectStmtClose(); return .breakLoop(offset: kw.offset)
        case "continue":
            try expectStmtClose(); return .continueLoop(offset: kw.offset)
        case "endif", "endfor", "endmacro", "endset", "endcall", "endfilter", "endtest", "endsnapshot", "else", "elif":
            throw error("unexpected '{% \(kw.text) %}' with no matching open block", at: kw.offset)
        case "snapshot":
            let name = try expectName()
            try expectStmtClose()
            let (body, _) = try parseBlock("snapshot", at: kw.offset, ends: ["endsnapshot"])
            _ = advance()
            try expectStmtClose()
            return .snapshotBlock(name: name, body: body, offset: kw.offset)
        case "materialization", "docs", "block", "extends", "include", "import", "from", "with", "autoescape":
            throw Diagnostic(code: .unsupportedStatement, "the '{% \(kw.text) %}' statement is not supported yet", at: source.location(ofUTF8Offset: kw.offset))
        default:
            throw Diagnostic(code: .unsupportedStatement, "unknown statement '{% \(kw.text) %}'", at: source.location(ofUTF8Offset: kw.offset))
        }
    }

    mutating func parseIf(at offset: Int) throws -> Node {
        var branches: [(condition: Expr, body: [Node])] = []
        var condition = try parseExpression()
        try expectStmtClose()
        var elseBody: [Node]?
        while true {
            let (body, end) = try parseBlock("if", at: offset, ends: ["elif", "else", "endif"])
            branches.append((condition, body))
            _ = advance() // keyword
            if end == "elif" {
                condition = try parseExpression()
                try expectStmtClose()
                continue
            }
            try expectStmtClose()
            if end == "else" {
                let (body, _) = try parseBlock("if", at: offset, ends: ["endif"])
                _ = advance()
                try expectStmtClose()
                elseBody = body
            }
            break
        }
        return .ifBlock(branches, elseBody: elseBody)
    }

    mutating func parseAssignTarget() throws -> AssignTarget {
        let first = try expectName()
        if isOp(".") {
            _ = advance()
            return .attribute(first, try expectName())
        }
        if isOp(",") {
            var names = [first]
            while isOp(",") {
                _ = advance()
                if current.kind != .name { break }
                names.append(try expectName())
            }
            return .tuple(names)
        }
        return .name(first)
    }

    mutating func parseFor(at offset: Int) throws -> Node {
        let hasParen = isOp("(")
        if hasParen { _ = advance() }
        let target = try parseAssignTarget()
        if hasParen { try expectOp(")") }
        guard isName("in") else { throw error("expected 'in' in for loop, found \(describe(current))") }
        _ = advance()
        let iterable = try parseTuple(withCondition: false)
        var condition: Expr?
        if isName("if") {
            _ = advance()
            condition = try parseExpression()
        }
        if isName("recursive") { throw Diagnostic(code: .unsupportedStatement, "recursive for loops are not supported yet", at: source.location(ofUTF8Offset: current.offset)) }
        try expectStmtClose()
        let (body, end) = try parseBlock("for", at: offset, ends: ["else", "endfor"])
        _ = advance()
        try expectStmtClose()
        var elseBody: [Node]?
        if end == "else" {
            let (b, _) = try parseBlock("for", at: offset, ends: ["endfor"])
            _ = advance()
            try expectStmtClose()
            elseBody = b
        }
        return .forLoop(target: target, iterable: iterable, condition: condition, body: body, elseBody: elseBody, offset: offset)
    }

    mutating func parseSet(at offset: Int) throws -> Node {
        let target = try parseAssignTarget()
        if current.kind == .stmtClose, case .tuple = target {} else if current.kind == .stmtClose {
            _ = advance()
            let (body, _) = try parseBlock("set", at: offset, ends: ["endset"])
            _ = advance()
            try expectStmtClose()
            return .setBlock(target, body: body, offset: offset)
        }
        try expectOp("=")
        let value = try parseTuple()
        try expectStmtClose()
        return .set(target, value, offset: offset)
    }

    mutating func parseParameters() throws -> [MacroParameter] {
        var params: [MacroParameter] = []
        guard isOp("(") else { return params }
        _ = advance()
        while !isOp(")") {
            let name = try expectName()
            var def: Expr?
            if isOp("=") {
                _ = advance()
                def = try parseExpression()
            }
            params.append(MacroParameter(name: name, defaultValue: def))
            if isOp(",") { _ = advance() } else { break }
        }
        try expectOp(")")
        return params
    }

    mutating func parseMacro(kind: String, at offset: Int) throws -> Node {
        let name = try expectName()
        let params = try parseParameters()
        try expectStmtClose()
        let bodyStart = index
        let (body, _) = try parseBlock(kind, at: offset, ends: ["end\(kind)"])
        let names = Set(tokens[bodyStart..<index].lazy.filter { $0.kind == .name }.map(\.text))
        _ = advance()
        // `{% endmacro name %}` is allowed
        if current.kind == .name { _ = advance() }
        try expectStmtClose()
        let def = MacroDefinition(name: name, parameters: params, body: body, source: source, offset: offset, kind: kind,
                                  usesVarargs: names.contains("varargs"), usesKwargs: names.contains("kwargs"))
        return .macro(def)
    }

    mutating func parseCall(at offset: Int) throws -> Node {
        let params = try parseParameters()
        let call = try parseExpression()
        guard case .call = call.kind else { throw error("'{% call %}' expects a macro call", at: call.offset) }
        try expectStmtClose()
        let (body, _) = try parseBlock("call", at: offset, ends: ["endcall"])
        _ = advance()
        try expectStmtClose()
        return .callBlock(call: call, parameters: params, body: body, offset: offset)
    }

    mutating func parseFilterBlock(at offset: Int) throws -> Node {
        let name = try expectName()
        var args: [Expr] = []
        if isOp("(") {
            _ = advance()
            while !isOp(")") {
                args.append(try parseExpression())
                if isOp(",") { _ = advance() } else { break }
            }
            try expectOp(")")
        }
        try expectStmtClose()
        let (body, _) = try parseBlock("filter", at: offset, ends: ["endfilter"])
        _ = advance()
        try expectStmtClose()
        return .filterBlock(name: name, args: args, body: body, offset: offset)
    }

    // MARK: expressions

    /// `a, b` without parentheses becomes a tuple (as in `set` and `for … in`).
    mutating func parseTuple(withCondition: Bool = true) throws -> Expr {
        let start = current.offset
        let first = withCondition ? try parseExpression() : try parseOr()
        guard isOp(",") else { return first }
        var items = [first]
        while isOp(",") {
            _ = advance()
            if current.kind == .stmtClose || current.kind == .exprClose || isOp(")") { break }
            items.append(withCondition ? try parseExpression() : try parseOr())
        }
        return Expr(kind: .tuple(items), offset: start)
    }

    mutating func nest() throws {
        depth += 1
        if depth > Self.maxDepth { throw error("nested more than \(Self.maxDepth) levels deep") }
    }

    mutating func parseExpression() throws -> Expr {
        try nest()
        defer { depth -= 1 }
        let value = try parseOr()
        if isName("if") {
            _ = advance()
            let condition = try parseOr()
            var otherwise: Expr?
            if isName("else") {
                _ = advance()
                otherwise = try parseExpression()
            }
            return Expr(kind: .conditional(value, condition: condition, otherwise: otherwise), offset: value.offset)
        }
        return value
    }

    mutating func parseOr() throws -> Expr {
        var left = try parseAnd()
        while isName("or") {
            _ = advance()
            let right = try parseAnd()
            left = Expr(kind: .or(left, right), offset: left.offset)
        }
        return left
    }

    mutating func parseAnd() throws -> Expr {
        var left = try parseNot()
        while isName("and") {
            _ = advance()
            let right = try parseNot()
            left = Expr(kind: .and(left, right), offset: left.offset)
        }
        return left
    }

    mutating func parseNot() throws -> Expr {
        if isName("not") {
            let t = advance()
            return Expr(kind: .unary("not", try parseNot()), offset: t.offset)
        }
        return try parseCompare()
    }

    mutating func parseCompare() throws -> Expr {
        var left = try parseMath1()
        while true {
            var op: String?
            if current.kind == .op, ["==", "!=", "<", ">", "<=", ">="].contains(current.text) {
                op = advance().text
            } else if isName("in") {
                _ = advance(); op = "in"
            } else if isName("not"), peek().kind == .name, peek().text == "in" {
                _ = advance(); _ = advance(); op = "not in"
            }
            guard let op else { return left }
            let right = try parseMath1()
            left = Expr(kind: .binary(op, left, right), offset: left.offset)
        }
    }

    mutating func parseMath1() throws -> Expr {
        var left = try parseConcat()
        while current.kind == .op, current.text == "+" || current.text == "-" {
            let op = advance().text
            let right = try parseConcat()
            left = Expr(kind: .binary(op, left, right), offset: left.offset)
        }
        return left
    }

    mutating func parseConcat() throws -> Expr {
        var left = try parseMath2()
        while isOp("~") {
            _ = advance()
            let right = try parseMath2()
            left = Expr(kind: .binary("~", left, right), offset: left.offset)
        }
        return left
    }

    mutating func parseMath2() throws -> Expr {
        var left = try parsePow()
        while current.kind == .op, ["*", "/", "//", "%"].contains(current.text) {
            let op = advance().text
            let right = try parsePow()
            left = Expr(kind: .binary(op, left, right), offset: left.offset)
        }
        return left
    }

    mutating func parsePow() throws -> Expr {
        var left = try parseUnary()
        while isOp("**") {
            _ = advance()
            let right = try parseUnary()
            left = Expr(kind: .binary("**", left, right), offset: left.offset)
        }
        return left
    }

    /// As in Jinja2, `-x | f` is `(-x) | f`: the operand of a sign takes no filters of its own.
    mutating func parseUnary(withFilters: Bool = true) throws -> Expr {
        try nest()
        defer { depth -= 1 }
        var e: Expr
        if current.kind == .op, current.text == "-" || current.text == "+" {
            let t = advance()
            let operand = try parseUnary(withFilters: false)
            e = Expr(kind: .unary(t.text, operand), offset: t.offset)
        } else {
            e = try parsePostfix(try parsePrimary())
        }
        return withFilters ? try parseFilters(e) : e
    }

    mutating func parsePrimary() throws -> Expr {
        let t = current
        switch t.kind {
        case .name:
            _ = advance()
            switch t.text {
            case "true", "True": return Expr(kind: .literal(.bool(true)), offset: t.offset)
            case "false", "False": return Expr(kind: .literal(.bool(false)), offset: t.offset)
            case "none", "None": return Expr(kind: .literal(.none), offset: t.offset)
            default: return Expr(kind: .name(t.text), offset: t.offset)
            }
        case .string:
            var s = advance().text
            while current.kind == .string { s += advance().text } // adjacent literals concatenate
            return Expr(kind: .literal(.string(s)), offset: t.offset)
        case .integer:
            _ = advance()
            guard let v = Int(t.text) else { throw error("integer literal \(t.text) is too large", at: t.offset) }
            return Expr(kind: .literal(.int(v)), offset: t.offset)
        case .float:
            _ = advance()
            return Expr(kind: .literal(.double(Double(t.text) ?? 0)), offset: t.offset)
        case .op where t.text == "(":
            _ = advance()
            if isOp(")") { _ = advance(); return Expr(kind: .tuple([]), offset: t.offset) }
            let first = try parseExpression()
            if isOp(",") {
                var items = [first]
                while isOp(",") {
                    _ = advance()
                    if isOp(")") { break }
                    items.append(try parseExpression())
                }
                try expectOp(")")
                return Expr(kind: .tuple(items), offset: t.offset)
            }
            try expectOp(")")
            return first
        case .op where t.text == "[":
            _ = advance()
            var items: [Expr] = []
            while !isOp("]") {
                items.append(try parseExpression())
                if isOp(",") { _ = advance() } else { break }
            }
            try expectOp("]")
            return Expr(kind: .list(items), offset: t.offset)
        case .op where t.text == "{":
            _ = advance()
            var pairs: [(Expr, Expr)] = []
            while !isOp("}") {
                let k = try parseExpression()
                try expectOp(":")
                let v = try parseExpression()
                pairs.append((k, v))
                if isOp(",") { _ = advance() } else { break }
            }
            try expectOp("}")
            return Expr(kind: .dict(pairs), offset: t.offset)
        default:
            throw error("expected an expression, found \(describe(t))")
        }
    }

    mutating func parseArguments() throws -> ([Expr], [(String, Expr)], Expr?, Expr?) {
        try expectOp("(")
        var args: [Expr] = []
        var kwargs: [(String, Expr)] = []
        var star: Expr?, starStar: Expr?
        while !isOp(")") {
            if isOp("*") {
                _ = advance(); star = try parseExpression()
            } else if isOp("**") {
                _ = advance(); starStar = try parseExpression()
            } else if current.kind == .name, peek().kind == .op, peek().text == "=" {
                let name = advance().text
                _ = advance()
                kwargs.append((name, try parseExpression()))
            } else {
                if !kwargs.isEmpty { throw error("positional argument follows keyword argument") }
                args.append(try parseExpression())
            }
            if isOp(",") { _ = advance() } else { break }
        }
        try expectOp(")")
        return (args, kwargs, star, starStar)
    }

    mutating func parsePostfix(_ base: Expr) throws -> Expr {
        var e = base
        while true {
            if isOp(".") {
                _ = advance()
                let t = current
                if t.kind == .integer {
                    _ = advance()
                    e = Expr(kind: .item(e, Expr(kind: .literal(.int(Int(t.text) ?? 0)), offset: t.offset)), offset: e.offset)
                } else {
                    e = Expr(kind: .attribute(e, try expectName()), offset: e.offset)
                }
            } else if isOp("[") {
                _ = advance()
                var lower: Expr?
                if !isOp(":") { lower = try parseExpression() }
                if isOp(":") {
                    _ = advance()
                    var upper: Expr?, step: Expr?
                    if !isOp("]") && !isOp(":") { upper = try parseExpression() }
                    if isOp(":") { _ = advance(); if !isOp("]") { step = try parseExpression() } }
                    try expectOp("]")
                    e = Expr(kind: .slice(e, lower, upper, step), offset: e.offset)
                } else {
                    try expectOp("]")
                    e = Expr(kind: .item(e, lower!), offset: e.offset)
                }
            } else if isOp("(") {
                let (args, kwargs, star, starStar) = try parseArguments()
                e = Expr(kind: .call(e, args, kwargs, starArgs: star, starKwargs: starStar), offset: e.offset)
            } else {
                return e
            }
        }
    }

    mutating func parseFilters(_ base: Expr) throws -> Expr {
        var e = base
        while true {
            if isOp("|") {
                _ = advance()
                let nameTok = current
                var name = try expectName()
                while isOp(".") { _ = advance(); name += "." + (try expectName()) }
                var args: [Expr] = [], kwargs: [(String, Expr)] = []
                if isOp("(") { (args, kwargs, _, _) = try parseArguments() }
                e = Expr(kind: .filter(e, name, args, kwargs), offset: nameTok.offset)
            } else if isName("is") {
                _ = advance()
                var negated = false
                if isName("not") { _ = advance(); negated = true }
                let nameTok = current
                let name: String
                if nameTok.kind == .name { name = advance().text }
                else if nameTok.kind == .op, ["==", "!=", "<", ">", "<=", ">="].contains(nameTok.text) { name = advance().text }
                else { throw error("expected a test name after 'is', found \(describe(nameTok))") }
                var args: [Expr] = []
                if isOp("(") {
                    (args, _, _, _) = try parseArguments()
                } else if current.kind == .string || current.kind == .integer || current.kind == .float || (current.kind == .name && !["and", "or", "else", "if", "in", "not", "is"].contains(current.text)) {
                    args = [try parsePostfix(try parsePrimary())]
                }
                e = Expr(kind: .test(e, name, args, negated: negated), offset: nameTok.offset)
            } else {
                return e
            }
        }
    }
}
