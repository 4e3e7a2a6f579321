import Basics

/// Renders a parsed template against an environment. One renderer per render; not shared across threads.
public final class Renderer {
    let environment: Environment
    /// Per-render variables (e.g. a model's `ref`, `config`, `this`), seen by macros too.
    let renderGlobals: [String: Value]
    /// Innermost scope last.
    var scopes: [[String: Value]] = []
    /// This render's copies of the environment's list and dict globals (see `lookup`).
    var globalCopies: [String: Value] = [:]
    var output = ""
    var sourceMap = SourceMap()
    /// Output captured while rendering a macro or set-block doesn't go into the source map.
    var mapping = true
    /// Active macro calls, for error notes: (macro name, where it was called).
    var callStack: [(String, SourceLocation)] = []
    var currentSource: TemplateSource
    let maxCallDepth = 200
    /// Undefined names tolerated as Jinja does, each reported once per place.
    var warnings: [Diagnostic] = []
    var warnedAt: Set<SourceLocation> = []
    /// Errors recorded instead of thrown (`Environment.recoversFromErrors`).
    var recovered: [Diagnostic] = []
    /// Every template macro the render called (directly or through other macros), first call first.
    var calledMacros: [MacroDefinition] = []
    private var calledIDs: Set<ObjectIdentifier> = []

    enum Flow { case normal, breakLoop, continueLoop }

    init(environment: Environment, renderGlobals: [String: Value], source: TemplateSource) {
        self.environment = environment
        self.renderGlobals = renderGlobals
        self.currentSource = source
    }

    /// Renders `template` with `globals` layered over the environment's.
    public static func render(_ template: Template, environment: Environment, globals: [String: Value] = [:]) throws -> RenderedText {
        let r = Renderer(environment: environment, renderGlobals: globals, source: template.source)
        r.scopes = [[:]]
        do {
            _ = try r.renderNodes(template.nodes)
        } catch let ret as MacroReturn {
            // dbt allows return() at the top level of a rendered field: the value becomes the result.
            return RenderedText(text: ret.value.stringValue, sourceMap: SourceMap(), warnings: r.warnings)
        }
        if !r.recovered.isEmpty { throw DiagnosticError(r.recovered) }
        var out = RenderedText(text: r.output, sourceMap: r.sourceMap, warnings: r.warnings)
        out.macros = r.calledMacros
        return out
    }

    /// Evaluates a single expression source like `"{{ x }}"`'s inside, for configuration values.
    public static func evaluate(_ template: Template, environment: Environment, globals: [String: Value] = [:]) throws -> Value {
        // A template that is exactly one `{{ expr }}` yields the expression's value (dbt's native rendering).
        if template.nodes.count == 1, case .output(let e) = template.nodes[0] {
            let r = Renderer(environment: environment, renderGlobals: globals, source: template.source)
            r.scopes = [[:]]
            return try r.evaluate(e)
        }
        return .string(try render(template, environment: environment, globals: globals).text)
    }

    // MARK: errors

    /// Jinja's Undefined for a name that is not defined: it prints as empty text, is false and iterates as empty, as
    /// in dbt; a located warning says so. Calling it, or asking it for an attribute or item, stays an error.
    func undefined(_ name: String, at offset: Int, in source: TemplateSource? = nil, what: String? = nil) -> Value {
        let message = what ?? "'\(name)' is undefined"
        let located = error(message + "; rendered as empty text, as dbt's Jinja does", code: .undefinedRendered, at: offset, in: source)
        if let location = located.location, warnedAt.insert(location).inserted {
            var warning = located
            warning.severity = .warning
            if what == nil, let s = Suggestion.closest(to: name, in: lookupCandidates) { warning.message += "; did you mean '\(s)'?" }
            warnings.append(warning)
        }
        return .object(UndefinedValue(name: name, message: message))
    }

    var lookupCandidates: [String] {
        scopes.flatMap(\.keys) + Array(renderGlobals.keys) + Array(environment.globals.keys) + Array(environment.macros.keys) + Array(environment.fallbackGlobals.keys)
    }

    func error(_ message: String, code: DiagnosticCode = .templateError, at offset: Int, in source: TemplateSource? = nil) -> Diagnostic {
        let loc = (source ?? currentSource).location(ofUTF8Offset: offset)
        // a recursion repeats the same calls: each run of repeats is one note and a count
        var notes: [Diagnostic.Note] = []
        var repeats = 0
        for (i, frame) in callStack.reversed().enumerated() {
            let previous = i > 0 ? callStack[callStack.count - i] : nil
            if let previous, previous.0 == frame.0, previous.1 == frame.1 { repeats += 1; continue }
            if repeats > 0 { notes.append(Diagnostic.Note("… the same call \(repeats) more time\(repeats == 1 ? "" : "s")")); repeats = 0 }
            notes.append(Diagnostic.Note("in macro '\(frame.0)' called from here", at: frame.1))
        }
        if repeats > 0 { notes.append(Diagnostic.Note("… the same call \(repeats) more time\(repeats == 1 ? "" : "s")")) }
        return Diagnostic(code: code, message, at: loc, notes: notes)
    }

    // MARK: variables

    func lookup(_ name: String) -> Value? {
        for scope in scopes.reversed() {
            if let v = scope[name] { return v }
        }
        if let v = renderGlobals[name] { return v }
        if let v = environment.globals[name] {
            // shared by every render: lists and dicts are copied on first use, so changing one stays in this render
            guard v.isContainer else { return v }
            if let copy = globalCopies[name] { return copy }
            let copy = v.deepCopy
            globalCopies[name] = copy
            return copy
        }
        // as dbt's macro namespace for a node of the root project: the root's macros (and dbt's), then packages as
        // namespaces; a package macro's bare calls resolve the same way (dbt_utils qualifies its own calls for that reason)
        if let m = environment.macros[name] { return .macro(MacroValue(definition: m, closure: nil)) }
        if let ns = environment.namespacedMacros[name] {
            return .dict(ns.map { ($0.key, Value.macro(MacroValue(definition: $0.value, closure: nil))) }.sorted { $0.0 < $1.0 })
        }
        if let v = environment.fallbackGlobals[name] { return v }
        return Builtins.global(name)
    }

    func assign(_ name: String, _ value: Value) {
        scopes[scopes.count - 1][name] = value
    }

    func assign(_ target: AssignTarget, _ value: Value, at offset: Int) throws {
        switch target {
        case .name(let n):
            assign(n, value)
        case .tuple(let names):
            guard let items = value.iterated, items.count == names.count else {
                throw error("cannot unpack \(value.typeName) into \(names.count) names", at: offset)
            }
            for (n, v) in zip(names, items) { assign(n, v) }
        case .attribute(let ns, let attr):
            guard let target = lookup(ns), case .dict(let d) = target else {
                throw error("'\(ns)' is not a namespace; only namespace() objects accept attribute assignment", at: offset)
            }
            d[attr] = value
        }
    }

    // MARK: output

    func emit(_ s: String, sourceOffset: Int, exact: Bool) {
        if s.isEmpty { return }
        if mapping {
            sourceMap.segments.append(.init(outputOffset: output.utf8.count, sourceOffset: sourceOffset, exact: exact))
        }
        output += s
    }

    /// Renders nodes into a fresh buffer and returns it (for macros, set blocks and filter blocks).
    func capture(_ body: () throws -> Void) rethrows -> String {
        let savedOutput = output, savedMapping = mapping
        output = ""
        mapping = false
        defer { output = savedOutput; mapping = savedMapping }
        try body()
        return output
    }

    // MARK: statements

    func renderNodes(_ nodes: [Node]) throws -> Flow {
        for node in nodes {
            let flow = try renderNode(node)
            if flow != .normal { return flow }
        }
        return .normal
    }

    func renderNode(_ node: Node) throws -> Flow {
        guard environment.recoversFromErrors, callStack.isEmpty else { return try renderNodeStopping(node) }
        switch node {
        case .output, .callBlock, .doExpr, .set:
            do {
                return try renderNodeStopping(node)
            } catch let d as Diagnostic {
                recovered.append(d)
            } catch let e as DiagnosticError {
                recovered.append(contentsOf: e.diagnostics)
            }
            return .normal
        default:
            return try renderNodeStopping(node)
        }
    }

    func renderNodeStopping(_ node: Node) throws -> Flow {
        switch node {
        case .text(let s, let offset):
            emit(s, sourceOffset: offset, exact: true)
        case .output(let e):
            let v = try evaluate(e)
            emit(v.stringValue, sourceOffset: e.offset, exact: false)
        case .ifBlock(let branches, let elseBody):
            for b in branches where try evaluate(b.condition).isTrue {
                return try renderNodes(b.body)
            }
            if let elseBody { return try renderNodes(elseBody) }
        case .forLoop(let target, let iterable, let condition, let body, let elseBody, let offset):
            return try renderFor(target: target, iterable: iterable, condition: condition, body: body, elseBody: elseBody, offset: offset)
        case .set(let target, let e, let offset):
            try assign(target, try evaluate(e), at: offset)
        case .setBlock(let target, let body, let offset):
            var flow = Flow.normal
            let text = try capture { flow = try renderNodes(body) }
            try assign(target, .string(text), at: offset)
            return flow
        case .macro(let m):
            assign(m.name, .macro(MacroValue(definition: m, closure: nil)))
        case .callBlock(let callExpr, let params, let body, let offset):
            guard case .call(let calleeExpr, let args, let kwargs, let star, let starStar) = callExpr.kind else { return .normal }
            let closure = scopes.reduce(into: [String: Value]()) { acc, s in acc.merge(s) { $1 } }
            let callerDef = MacroDefinition(name: "caller", parameters: params, body: body, source: currentSource, offset: offset, kind: "macro", usesVarargs: false, usesKwargs: false)
            var arguments = try evaluateArguments(args, kwargs, star, starStar)
            arguments.keyword.append(("caller", .macro(MacroValue(definition: callerDef, closure: closure))))
            let v = try call(try evaluate(calleeExpr), arguments, at: callExpr.offset, in: currentSource)
            emit(v.stringValue, sourceOffset: callExpr.offset, exact: false)
        case .filterBlock(let name, let args, let body, let offset):
            let text = try capture { _ = try renderNodes(body) }
            let argValues = try args.map { try evaluate($0) }
            let v = try Builtins.filter(name, .string(text), Arguments(argValues), site: CallSite(renderer: self, offset: offset, source: currentSource))
            emit(v.stringValue, sourceOffset: offset, exact: false)
        case .doExpr(let e):
            _ = try evaluate(e)
        case .snapshotBlock(_, let body, _):
            return try renderNodes(body)
        case .breakLoop(let offset):
            guard scopes.last?["loop"] != nil else { throw error("'break' outside a for loop", at: offset) }
            return .breakLoop
        case .continueLoop(let offset):
            guard scopes.last?["loop"] != nil else { throw error("'continue' outside a for loop", at: offset) }
            return .continueLoop
        }
        return .normal
    }

    func renderFor(target: AssignTarget, iterable: Expr, condition: Expr?, body: [Node], elseBody: [Node]?, offset: Int) throws -> Flow {
        let value = try evaluate(iterable)
        guard var items = value.iterated else {
            throw error("cannot loop over a \(value.typeName)", code: .notIterable, at: iterable.offset)
        }
        if case .dict(let d) = value { items = d.keys.map { .string($0) } }
        scopes.append([:])
        defer { scopes.removeLast() }
        if let condition {
            items = try items.filter { item in
                try assign(target, item, at: offset)
                return try evaluate(condition).isTrue
            }
        }
        if items.isEmpty {
            if let elseBody { return try renderNodes(elseBody) == .breakLoop ? .normal : .normal }
            return .normal
        }
        let loop = DictBox()
        let n = items.count
        loop["length"] = .int(n)
        for (i, item) in items.enumerated() {
            loop["index"] = .int(i + 1)
            loop["index0"] = .int(i)
            loop["revindex"] = .int(n - i)
            loop["revindex0"] = .int(n - i - 1)
            loop["first"] = .bool(i == 0)
            loop["last"] = .bool(i == n - 1)
            loop["previtem"] = i > 0 ? items[i - 1] : nil
            loop["nextitem"] = i < n - 1 ? items[i + 1] : nil
            assign("loop", .dict(loop))
            try assign(target, item, at: offset)
            let flow = try renderNodes(body)
            if flow == .breakLoop { break }
        }
        return .normal
    }

    // MARK: calls

    func evaluateArguments(_ args: [Expr], _ kwargs: [(String, Expr)], _ star: Expr?, _ starStar: Expr?) throws -> Arguments {
        var positional = try args.map { try evaluate($0) }
        var keyword = try kwargs.map { ($0.0, try evaluate($0.1)) }
        if let star {
            let v = try evaluate(star)
            guard let items = v.iterated else { throw error("*args must be a list, not \(v.typeName)", at: star.offset) }
            positional += items
        }
        if let starStar {
            let v = try evaluate(starStar)
            guard case .dict(let d) = v else { throw error("**kwargs must be a dict, not \(v.typeName)", at: starStar.offset) }
            keyword += d.pairs
        }
        return Arguments(positional, keyword: keyword)
    }

    func call(_ callee: Value, _ arguments: Arguments, at offset: Int, in source: TemplateSource) throws -> Value {
        switch callee {
        case .function(let f):
            let site = CallSite(renderer: self, offset: offset, source: source)
            do {
                return try f.body(arguments, site)
            } catch let r as CallerReturn {
                // a `caller()` body returned: the function (dbt's `statement` macro) returns that value
                return r.value
            } catch var d as Diagnostic where d.location == nil {
                let located = site.error(d.message)   // for its location and call chain; d keeps its code
                d.location = located.location
                d.notes = located.notes + d.notes
                throw d
            }
        case .macro(let m):
            return try callMacro(m, arguments, at: offset, in: source)
        case .object(let o):
            if case .function(let f)? = o.attribute("__call__") { return try call(.function(f), arguments, at: offset, in: source) }
            throw error("'\(o.typeName)' object is not callable", code: .notCallable, at: offset, in: source)
        default:
            throw error("'\(callee.typeName)' object is not callable", code: .notCallable, at: offset, in: source)
        }
    }

    func callMacro(_ m: MacroValue, _ arguments: Arguments, at offset: Int, in source: TemplateSource) throws -> Value {
        let def = m.definition
        // macros defined in the template itself are part of it, not dependencies
        if def.source.path != currentSource.path || !callStack.isEmpty, calledIDs.insert(ObjectIdentifier(def)).inserted { calledMacros.append(def) }
        guard callStack.count < maxCallDepth else {
            throw error("macro '\(def.name)' recursed more than \(maxCallDepth) levels deep", code: .recursionLimit, at: offset, in: source)
        }
        var scope = m.closure ?? [:]
        var bound = Set<String>()
        var extra: [Value] = []
        for (i, v) in arguments.positional.enumerated() {
            if i < def.parameters.count {
                scope[def.parameters[i].name] = v
                bound.insert(def.parameters[i].name)
            } else { extra.append(v) }
        }
        if !extra.isEmpty && !def.usesVarargs {
            throw error("macro '\(def.name)' takes \(def.parameters.count) positional argument\(def.parameters.count == 1 ? "" : "s") but \(arguments.positional.count) were given", code: .wrongArguments, at: offset, in: source)
        }
        let kwargsBox = DictBox()
        for (k, v) in arguments.keyword {
            if def.parameters.contains(where: { $0.name == k }) {
                if bound.contains(k) {
                    throw error("macro '\(def.name)' got multiple values for argument '\(k)'", code: .wrongArguments, at: offset, in: source)
                }
                scope[k] = v
                bound.insert(k)
            } else if k == "caller" {
                scope["caller"] = v
            } else if def.usesKwargs {
                kwargsBox[k] = v
            } else {
                throw error("macro '\(def.name)' has no parameter named '\(k)'", code: .wrongArguments, at: offset, in: source)
            }
        }
        let savedScopes = scopes, savedSource = currentSource
        callStack.append((def.name, source.location(ofUTF8Offset: offset)))
        currentSource = def.source
        scopes = [scope]
        defer { scopes = savedScopes; currentSource = savedSource; callStack.removeLast() }
        // defaults are evaluated in the macro's own scope, after earlier parameters are bound
        for p in def.parameters where !bound.contains(p.name) {
            if let d = p.defaultValue {
                assign(p.name, try evaluate(d))
            } else {
                // Jinja binds a missing argument to Undefined (the warning points at the call)
                assign(p.name, undefined(p.name, at: offset, in: source,
                                         what: "macro '\(def.name)' called without argument '\(p.name)'; it is undefined, as in dbt's Jinja"))
            }
        }
        assign("varargs", .list(extra))
        assign("kwargs", .dict(kwargsBox))
        do {
            let text = try capture { _ = try renderNodes(def.body) }
            return .string(text)
        } catch let r as MacroReturn {
            // `return()` inside a `{% call %}` body returns from the macro or function that called `caller()`, as in dbt
            if m.isCallBlockBody { throw CallerReturn(value: r.value) }
            return r.value
        } catch let r as CallerReturn {
            return r.value
        }
    }
}
