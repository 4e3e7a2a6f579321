import Basics

/// A call to a named function found in a template's syntax tree, before anything is rendered.
public struct StaticCall: Sendable {
    public var name: String
    public var offset: Int
    public var positional: [Expr]
    public var keyword: [(String, Expr)]

    /// The positional arguments when all are string literals (e.g. `ref('orders')`), else nil.
    public var literalStrings: [String]? {
        var out: [String] = []
        for e in positional {
            guard case .literal(.string(let s)) = e.kind else { return nil }
            out.append(s)
        }
        return out
    }

    public func literalKeyword(_ name: String) -> Value? {
        guard let e = keyword.first(where: { $0.0 == name })?.1, case .literal(let v) = e.kind else { return nil }
        return v
    }
}

extension Template {
    /// Every call to one of `names` anywhere in the template (outside macro definitions), in source order.
    public func calls(named names: Set<String>) -> [StaticCall] {
        var out: [StaticCall] = []
        func visit(_ e: Expr) {
            switch e.kind {
            case .call(let callee, let args, let kwargs, let star, let starStar):
                if case .name(let n) = callee.kind, names.contains(n) {
                    out.append(StaticCall(name: n, offset: callee.offset, positional: args, keyword: kwargs))
                }
                visit(callee); args.forEach(visit); kwargs.forEach { visit($0.1) }
                star.map(visit); starStar.map(visit)
            case .list(let xs), .tuple(let xs): xs.forEach(visit)
            case .dict(let ps): ps.forEach { visit($0.0); visit($0.1) }
            case .attribute(let b, _): visit(b)
            case .item(let b, let k): visit(b); visit(k)
            case .slice(let b, let l, let h, let s): visit(b); l.map(visit); h.map(visit); s.map(visit)
            case .filter(let b, _, let args, let kwargs): visit(b); args.forEach(visit); kwargs.forEach { visit($0.1) }
            case .test(let b, _, let args, _): visit(b); args.forEach(visit)
            case .unary(_, let x): visit(x)
            case .binary(_, let l, let r), .and(let l, let r), .or(let l, let r): visit(l); visit(r)
            case .conditional(let v, let c, let o): visit(v); visit(c); o.map(visit)
            case .literal, .name: break
            }
        }
        func visit(_ nodes: [Node]) {
            for n in nodes {
                switch n {
                case .text, .breakLoop, .continueLoop, .macro: break
                case .output(let e), .doExpr(let e): visit(e)
                case .ifBlock(let branches, let elseBody):
                    for b in branches { visit(b.condition); visit(b.body) }
                    elseBody.map(visit)
                case .forLoop(_, let it, let cond, let body, let elseBody, _):
                    visit(it); cond.map(visit); visit(body); elseBody.map(visit)
                case .set(_, let e, _): visit(e)
                case .setBlock(_, let body, _): visit(body)
                case .callBlock(let c, _, let body, _): visit(c); visit(body)
                case .filterBlock(_, let args, let body, _): args.forEach(visit); visit(body)
                case .snapshotBlock(_, let body, _): visit(body)
                }
            }
        }
        visit(nodes)
        return out
    }
}

extension Template {
    /// The `{% snapshot name %}` blocks at the top level: (name, offset of the block).
    public var snapshotBlocks: [(name: String, offset: Int)] {
        nodes.compactMap { if case .snapshotBlock(let n, _, let o) = $0 { return (n, o) } else { return nil } }
    }
}

extension Renderer {
    /// Evaluates one expression of `template` with only environment and `globals` in scope (no locals).
    public static func evaluate(_ expr: Expr, of template: Template, environment: Environment, globals: [String: Value]) throws -> Value {
        let r = Renderer(environment: environment, renderGlobals: globals, source: template.source)
        r.scopes = [[:]]
        return try r.evaluate(expr)
    }
}
