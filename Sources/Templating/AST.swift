/// An expression in a template, with the UTF-8 offset where it starts in its file.
public struct Expr: Sendable {
    public indirect enum Kind: Sendable {
        case literal(Value)
        case name(String)
        case list([Expr])
        case tuple([Expr])
        case dict([(Expr, Expr)])
        case attribute(Expr, String)
        case item(Expr, Expr)
        case slice(Expr, Expr?, Expr?, Expr?)
        case call(Expr, [Expr], [(String, Expr)], starArgs: Expr?, starKwargs: Expr?)
        case filter(Expr, String, [Expr], [(String, Expr)])
        case test(Expr, String, [Expr], negated: Bool)
        case unary(String, Expr)
        case binary(String, Expr, Expr)
        case and(Expr, Expr)
        case or(Expr, Expr)
        case conditional(Expr, condition: Expr, otherwise: Expr?)
    }
    public var kind: Kind
    public var offset: Int
}

/// Where an assignment in `set`/`for` stores its value.
public enum AssignTarget: Sendable {
    case name(String)
    case tuple([String])
    case attribute(String, String) // namespace attribute: ns.attr
}

/// A macro parameter with an optional default.
public struct MacroParameter: Sendable {
    public var name: String
    public var defaultValue: Expr?
}

/// A `{% macro %}` (or dbt `{% test %}`) definition.
public final class MacroDefinition: Sendable {
    public let name: String
    public let parameters: [MacroParameter]
    public let body: [Node]
    public let source: TemplateSource
    public let offset: Int
    /// `test` for dbt's `{% test %}` blocks, `macro` otherwise.
    public let kind: String
    /// Whether the body refers to `varargs`, `kwargs` or `caller` (Jinja then accepts extra arguments).
    let usesVarargs: Bool
    let usesKwargs: Bool

    init(name: String, parameters: [MacroParameter], body: [Node], source: TemplateSource, offset: Int, kind: String, usesVarargs: Bool, usesKwargs: Bool) {
        self.name = name
        self.parameters = parameters
        self.body = body
        self.source = source
        self.offset = offset
        self.kind = kind
        self.usesVarargs = usesVarargs
        self.usesKwargs = usesKwargs
    }
}

/// A statement or piece of output in a template body.
public indirect enum Node: Sendable {
    case text(String, offset: Int)
    case output(Expr)
    case ifBlock([(condition: Expr, body: [Node])], elseBody: [Node]?)
    case forLoop(target: AssignTarget, iterable: Expr, condition: Expr?, body: [Node], elseBody: [Node]?, offset: Int)
    case set(AssignTarget, Expr, offset: Int)
    /// `{% set x %}…{% endset %}`, or `{% set ns.attr %}…{% endset %}` for a namespace's attribute.
    case setBlock(AssignTarget, body: [Node], offset: Int)
    case macro(MacroDefinition)
    case callBlock(call: Expr, parameters: [MacroParameter], body: [Node], offset: Int)
    case filterBlock(name: String, args: [Expr], body: [Node], offset: Int)
    case doExpr(Expr)
    case breakLoop(offset: Int)
    case continueLoop(offset: Int)
    /// dbt's `{% snapshot name %}…{% endsnapshot %}`: renders its body; the name says which snapshot it defines.
    case snapshotBlock(name: String, body: [Node], offset: Int)
}
