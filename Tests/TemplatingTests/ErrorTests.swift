import Testing
import StrataTestSupport
import Basics
@testable import Templating

/// Each fixture marks the expected error position with `⟨` (removed before parsing).
@Suite struct TemplateErrorTests {
    func expectError(_ marked: String, code: String, contains fragment: String, macros: String? = nil) throws {
        let marker = marked.range(of: "⟨")!
        let text = marked.replacingCharacters(in: marker, with: "")
        let offset = marked.utf8.distance(from: marked.utf8.startIndex, to: marker.lowerBound)
        let expected = SourceFile(path: "t.sql", text: text).location(ofUTF8Offset: offset)
        do {
            _ = try render(text, macros: macros)
            Issue.record("expected an error for: \(text)")
        } catch let d as Diagnostic {
            #expect(d.code == code)
            #expect(d.location == expected, "at \(String(describing: d.location)), expected \(expected)")
            #expect(d.message.contains(fragment), "message: \(d.message)")
        }
    }

    /// As dbt's Jinja: an undefined name prints as empty text (with a located warning and a did-you-mean); calling
    /// it, or asking it for an attribute, is the error.
    @Test func unknownVariableRendersEmptyWithAWarningAndIsAnErrorWhenUsed() throws {
        let out = try Renderer.render(Template(path: "t.sql", text: "select {{ colum }}{% if not nope %} x{% endif %}{{ col.attr | default('d') }}"),
                                      environment: Environment(), globals: ["column": .string("c")])
        #expect(out.text == "select  xd")
        #expect(out.warnings.map(\.code) == ["T2012", "T2012"])
        #expect(out.warnings.first?.severity == .warning)
        #expect(out.warnings.first?.location == SourceLocation(file: "t.sql", line: 1, column: 11))
        #expect(out.warnings.first?.message.contains("'colum' is undefined; rendered as empty text, as dbt's Jinja does; did you mean 'column'?") == true)
        try expectError("select {{ ⟨colum() }}", code: "T2002", contains: "'colum' is undefined")
        try expectError("select {{ ⟨colum.x }}", code: "T2002", contains: "'colum' is undefined")
        try expectError("{% set d = {} %}{{ ⟨d.missing.x }}", code: "T2002", contains: "dict has no attribute 'missing'")
    }

    @Test func unknownFilterAndTest() throws {
        try expectError("{{ 1 | ⟨nofilter }}", code: "T2011", contains: "unknown filter 'nofilter'")
        try expectError("{{ 1 is ⟨weird }}", code: "T2010", contains: "unknown test 'weird'")
    }

    @Test func syntaxErrors() throws {
        try expectError("a\n{{ 1 + ⟨}}", code: "T1002", contains: "expected an expression")
        try expectError("{% ⟨if x %}never closed", code: "T1003", contains: "never closed")
        try expectError("x ⟨{{ unterminated", code: "T1001", contains: "unterminated")
        try expectError("{% ⟨frobnicate %}", code: "T1004", contains: "unknown statement")
        try expectError("{% if 1 %}{% ⟨endfor %}", code: "T1002", contains: "endfor")
    }

    @Test func wrongArgumentCountsAndTypes() throws {
        let macros = "{% macro two(a, b) %}{{ a }}{{ b }}{% endmacro %}"
        // a missing argument is Undefined, as in Jinja: empty text and a warning at the call
        var env = Environment()
        try env.addMacros(from: [Template(path: "m.sql", text: macros)])
        let out = try Renderer.render(Template(path: "t.sql", text: "{{ two(1) }}"), environment: env)
        #expect(out.text == "1")
        #expect(out.warnings.map(\.message) == ["macro 'two' called without argument 'b'; it is undefined, as in dbt's Jinja; rendered as empty text, as dbt's Jinja does"])
        #expect(out.warnings.first?.location == SourceLocation(file: "t.sql", line: 1, column: 4))
        try expectError("{{ ⟨two(1, 2, 3) }}", code: "T2005", contains: "takes 2 positional arguments", macros: macros)
        try expectError("{{ ⟨two(1, c=2) }}", code: "T2005", contains: "no parameter named 'c'", macros: macros)
        try expectError("{{ ⟨1 + 'a' }}", code: "T2008", contains: "unsupported operand")
        try expectError("{% for x in ⟨3 %}{% endfor %}", code: "T2003", contains: "cannot loop")
    }

    @Test func errorsInsideMacrosReportTheCallChain() throws {
        var env = Environment()
        let macros = "{% macro inner() %}{{ missing() }}{% endmacro %}\n{% macro outer() %}{{ inner() }}{% endmacro %}"
        try env.addMacros(from: [Template(path: "templates/m.sql", text: macros)])
        do {
            _ = try Renderer.render(Template(path: "models/x.sql", text: "select\n{{ outer() }}"), environment: env)
            Issue.record("expected an error")
        } catch let d as Diagnostic {
            #expect(d.location == SourceLocation(file: "templates/m.sql", line: 1, column: 23))
            #expect(d.notes.map(\.message) == ["in macro 'inner' called from here", "in macro 'outer' called from here"])
            #expect(d.notes.last?.location == SourceLocation(file: "models/x.sql", line: 2, column: 4))
        }
    }

    @Test func duplicateMacroNamesBothPlaces() throws {
        var env = Environment()
        #expect(throws: DiagnosticError.self) {
            try env.addMacros(from: [Template(path: "a.sql", text: "{% macro m() %}{% endmacro %}"),
                                     Template(path: "b.sql", text: "{% macro m() %}{% endmacro %}")])
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix(seed: 7)
        for _ in 0..<2000 {
            let n = Int(rng.next() % 64)
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? render(String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func deeplyNestedInputIsAnErrorNotAStackOverflow() throws {
        #expect(throws: Diagnostic.self) { try render("{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}") }
        #expect(throws: Diagnostic.self) { try render("{{ " + String(repeating: "-", count: 5000) + "1 }}") }
        #expect(throws: Diagnostic.self) { try render(String(repeating: "{% if 1 %}", count: 5000)) }
        #expect(try render(String(repeating: "{% if 1 %}", count: 50) + "deep" + String(repeating: "{% endif %}", count: 50)) == "deep")
    }

    @Test func deepNestingIsAnErrorNotAStackOverflow() {
        // 200 nested macro calls exceed the limit and fail cleanly
        let macros = "{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}"
        #expect(throws: Diagnostic.self) { try render("{{ r(0) }}", macros: macros) }
    }

    @Test func arbitraryInputNeverCrashesOrHangs() {
        // A deterministic generator of template-ish noise: every input either renders or errors.
        var rng = SplitMix(seed: 42)
        let pieces = ["{{", "}}", "{%", "%}", "{#", "#}", "if", "for", "x", "in", "endif", "endfor", "(", ")", "'", "\"", "[", "]",
                      "|", "upper", "-", "+", ",", ".", "macro", "endmacro", "set", "=", " ", "\n", "1", "none", "raw", "endraw", "~", "é"]
        for _ in 0..<3000 {
            let n = Int(rng.next() % 24)
            let text = (0..<n).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
            _ = try? render(text, ["x": .list([.int(1)])])
        }
    }

    /// Parse mode (compat-check): each failing `{{ }}`, `{% set %}`, `{% do %}`, `{% call %}` of the template itself is
    /// recorded and the render goes on; an error inside a macro counts once, at the call that reached it.
    @Test func recoveringRenderReportsEveryErrorOfATemplate() throws {
        var env = Environment()
        env.recoversFromErrors = true
        try env.addMacros(from: [Template(path: "m.sql", text: "{% macro m() %}{{ nope1() }}{{ nope2() }}{% endmacro %}")])
        let text = "select {{ a() }},\n{% set x = b() %}{% do c() %}{{ m() }} {{ 'fine' }}"
        let error = #expect(throws: DiagnosticError.self) { try Renderer.render(Template(path: "t.sql", text: text), environment: env) }
        #expect(error?.diagnostics.map { "\($0.location!.file):\($0.location!.line):\($0.location!.column)" }
                == ["t.sql:1:11", "t.sql:2:12", "t.sql:2:24", "m.sql:1:19"])
        // without it, the first error stops the render
        env.recoversFromErrors = false
        #expect(throws: Diagnostic.self) { try Renderer.render(Template(path: "t.sql", text: text), environment: env) }
    }

    /// Hints explain names known elsewhere (a package not installed) before any did-you-mean.
    @Test func hintsExplainNamesThatAreNotDefinedHere() throws {
        var env = Environment(globals: ["utils": .dict([("other", .string(""))])])
        env.hints = ["spine": "it lives in utils", "utils.spine": "utils is a stand-in"]
        #expect(throws: Diagnostic.self) { try Renderer.render(Template(path: "t.sql", text: "{{ spine() }}"), environment: env) }
        do { _ = try Renderer.render(Template(path: "t.sql", text: "{{ spine() }}"), environment: env) } catch let d as Diagnostic {
            #expect(d.message == "'spine' is undefined: it lives in utils")
        }
        do { _ = try Renderer.render(Template(path: "t.sql", text: "{{ utils.spine() }}"), environment: env) } catch let d as Diagnostic {
            #expect(d.message == "'utils.spine' is undefined: utils is a stand-in")
        }
    }

    /// A runaway recursion is one error whose repeated calls fold into a count, not 200 identical notes.
    @Test func recursionNotesFoldRepeats() throws {
        var env = Environment()
        try env.addMacros(from: [Template(path: "m.sql", text: "{% macro loop(n) %}{{ loop(n + 1) }}{% endmacro %}")])
        do {
            _ = try Renderer.render(Template(path: "t.sql", text: "{{ loop(0) }}"), environment: env)
            Issue.record("expected the recursion limit")
        } catch let d as Diagnostic {
            #expect(d.message.contains("recursed more than 200 levels deep"))
            #expect(d.notes.count == 3, "\(d.notes.map(\.message))")
            #expect(d.notes.map(\.message) == ["in macro 'loop' called from here", "… the same call 198 more times", "in macro 'loop' called from here"])
        }
    }
}
