import Basics

/// What every render shares: globals and macros. Immutable once built, so renders may run in parallel.
public struct Environment: Sendable {
    public var globals: [String: Value]
    /// Macros callable by bare name.
    public var macros: [String: MacroDefinition]
    /// Macros callable as `namespace.name` (e.g. a package's macros).
    public var namespacedMacros: [String: [String: MacroDefinition]]
    /// Names looked up after the macros (dbt's own global macros, which a project's macro of the same name overrides).
    public var fallbackGlobals: [String: Value] = [:]
    /// Where a bare name is looked up, for the message when one is not found and is called or used as a namespace
    /// (`the root project 'app''s macros and dbt's`).
    public var lookupDescription: String? = nil
    /// Why a name that is not defined here is known elsewhere, for its message: a bare name (`date_spine`), a
    /// namespace (`dbt_date`) or a namespaced name (`dbt_utils.date_spine`) → the explanation.
    public var hints: [String: String] = [:]
    /// Parse mode (`compat-check`): an error in one of a template's own `{{ … }}`, `{% call %}`, `{% do %}` or
    /// `{% set %}` (not inside a macro it calls) is recorded and the render goes on, so that one render reports every
    /// problem it reaches; `Renderer.render` throws them together at the end.
    public var recoversFromErrors = false

    public init(globals: [String: Value] = [:], macros: [String: MacroDefinition] = [:], namespacedMacros: [String: [String: MacroDefinition]] = [:]) {
        self.globals = globals
        self.macros = macros
        self.namespacedMacros = namespacedMacros
    }

    /// Adds the macros of `templates`; a name defined twice is an error naming both places. Without `package`
    /// they are callable by bare name (the root project's); with one, only as `package.name` (dbt's namespace for nodes of
    /// the root project). The same name in two packages is no error.
    public mutating func addMacros(from templates: [Template], package: String? = nil) throws {
        var bag = DiagnosticBag()
        for t in templates {
            for m in t.macros {
                // dbt exposes `{% test name() %}` blocks as the macro `test_name`
                let name = m.kind == "test" ? "test_\(m.name)" : m.name
                if let package {
                    if let existing = namespacedMacros[package]?[name] {
                        bag.append(Diagnostic(code: .duplicateMacro, "macro '\(m.name)' is defined more than once in package '\(package)'",
                                              at: m.source.location(ofUTF8Offset: m.offset),
                                              notes: [.init("first defined here", at: existing.source.location(ofUTF8Offset: existing.offset))]))
                        continue
                    }
                    namespacedMacros[package, default: [:]][name] = m
                    continue
                }
                if let existing = macros[name] {
                    bag.append(Diagnostic(code: .duplicateMacro, "macro '\(m.name)' is defined more than once",
                                          at: m.source.location(ofUTF8Offset: m.offset),
                                          notes: [.init("first defined here", at: existing.source.location(ofUTF8Offset: existing.offset))]))
                    continue
                }
                macros[name] = m
            }
        }
        try bag.throwIfErrors()
    }
}

/// The text a render produced, with a map from output offsets back to template positions.
public struct RenderedText: Sendable {
    public var text: String
    public var sourceMap: SourceMap
    /// Undefined names the render tolerated as Jinja does (T2012), each once, located.
    public var warnings: [Diagnostic] = []
    /// The template macros the render called (for the manifest's `depends_on.macros` and `state:modified.macros`).
    public var macros: [MacroDefinition] = []

    public init(text: String, sourceMap: SourceMap, warnings: [Diagnostic] = []) {
        self.text = text
        self.sourceMap = sourceMap
        self.warnings = warnings
    }
}

/// Maps UTF-8 offsets in rendered output back to offsets in the template source.
public struct SourceMap: Sendable {
    /// Sorted by output offset. `exact` segments (literal text) map byte for byte.
    public struct Segment: Sendable {
        public var outputOffset: Int
        public var sourceOffset: Int
        public var exact: Bool
    }
    public var segments: [Segment] = []
    public init() {}

    /// The template offset that produced the output byte at `outputOffset`.
    public func sourceOffset(forOutputOffset outputOffset: Int) -> Int? {
        var lo = 0, hi = segments.count - 1
        var found: Segment?
        while lo <= hi {
            let mid = (lo + hi) / 2
            if segments[mid].outputOffset <= outputOffset { found = segments[mid]; lo = mid + 1 } else { hi = mid - 1 }
        }
        guard let seg = found else { return nil }
        return seg.exact ? seg.sourceOffset + (outputOffset - seg.outputOffset) : seg.sourceOffset
    }

    /// The map after `length` bytes were inserted into the output at `offset`.
    public func inserting(length: Int, at offset: Int) -> SourceMap {
        var m = SourceMap()
        m.segments = segments.map { s in
            s.outputOffset >= offset ? Segment(outputOffset: s.outputOffset + length, sourceOffset: s.sourceOffset, exact: s.exact) : s
        }
        return m
    }

    /// Shifts every output offset by `delta` (after text was inserted in front of the output).
    public func shifted(by delta: Int) -> SourceMap {
        var m = SourceMap()
        m.segments = segments.map { Segment(outputOffset: $0.outputOffset + delta, sourceOffset: $0.sourceOffset, exact: $0.exact) }
        return m
    }
}
