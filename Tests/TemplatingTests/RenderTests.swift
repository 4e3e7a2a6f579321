import Testing
import Basics
@testable import Templating

func render(_ text: String, _ globals: [String: Value] = [:], macros: String? = nil) throws -> String {
    var env = Environment()
    if let macros { try env.addMacros(from: [Template(path: "templates/m.sql", text: macros)]) }
    return try Renderer.render(Template(path: "t.sql", text: text), environment: env, globals: globals).text
}

/// Input/expected pairs covering the language; each must render exactly as Jinja2 does.
@Suite struct RenderTests {
    @Test(arguments: [
        ("plain text", "plain text"),
        ("{{ 1 + 2 }}", "3"),
        ("{{ 7 / 2 }} {{ 7 // 2 }} {{ 7 % 3 }} {{ 2 ** 3 }} {{ -3 }}", "3.5 3 1 8 -3"),
        ("{{ 'a' ~ 1 ~ none }}", "a1None"),
        ("{{ true }} {{ none }} {{ [1, 'x'] }} {{ {'k': 1} }}", "True None [1, 'x'] {'k': 1}"),
        ("{{ 1 < 2 and 'b' > 'a' }} {{ not 1 == 1 }} {{ 2 in [1, 2] }} {{ 'x' not in 'abc' }}", "True False True True"),
        ("{{ 'yes' if 1 else 'no' }}|{{ 'yes' if 0 }}", "yes|"),
        ("{% if 0 %}a{% elif 1 %}b{% else %}c{% endif %}", "b"),
        ("{% for x in [1, 2, 3] %}{{ loop.index }}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}", "11,22,33"),
        ("{% for x in [] %}x{% else %}empty{% endfor %}", "empty"),
        ("{% for x in range(10) if x is odd %}{{ x }}{% endfor %}", "13579"),
        ("{% for x in range(5) %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}", "012"),
        ("{% for x in range(4) %}{% if x is even %}{% continue %}{% endif %}{{ x }}{% endfor %}", "13"),
        ("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;"),
        ("{% set a, b = 1, 2 %}{{ a + b }}", "3"),
        ("{% set x %}inner {{ 1 }}{% endset %}[{{ x }}]", "[inner 1]"),
        // a namespace attribute set by a block, as dbt packages do (checked with Jinja2 3.1)
        ("{% set ns = namespace(x='a') %}{% set ns.x %}hi {{ 1 + 1 }}{% endset %}[{{ ns.x }}]", "[hi 2]"),
        ("{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", "3"),
        ("{% set xs = [] %}{% do xs.append(1) %}{% do xs.extend([2]) %}{{ xs }}", "[1, 2]"),
        ("a  {{- ' b ' -}}  c", "a b c"),
        ("a\n  {%- if true -%}\n  b\n  {%- endif %}", "ab"),
        ("{# comment #}x{#- c -#} y", "xy"),
        ("{% raw %}{{ not rendered }}{% endraw %}", "{{ not rendered }}"),
        ("{{ 'Hello'.upper() }} {{ ' x '.strip() }} {{ 'a,b'.split(',') }} {{ 'abc'.replace('b', 'B') }} {{ 'abc'.startswith('a') }}", "HELLO x ['a', 'b'] aBc True"),
        ("{{ ', '.join(['a', 'b']) }} {{ {'a': 1}.get('b', 2) }} {{ {'a': 1}.keys() | list }}", "a, b 2 ['a']"),
        ("{{ 'abcdef'[1:3] }} {{ [1, 2, 3][-1] }} {{ [1, 2, 3][::-1] }}", "bc 3 [3, 2, 1]"),
        ("{{ 'x' | upper }} {{ none | default('d') }} {{ nothing | default('d') }} {{ '' | default('d', true) }} {{ [3, 1, 2] | sort | join('-') }}", "X None d d 1-2-3"),
        ("{{ [1, 2, 2] | unique | list }} {{ [1, 2] | length }} {{ 'ab' | length }} {{ [1, 2] | first }} {{ [1, 2] | last }}", "[1, 2] 2 2 1 2"),
        ("{{ '3' | int + 1 }} {{ '2.5' | float }} {{ 2.567 | round(2) }} {{ -3 | abs }} {{ 3 | string ~ 'x' }}", "4 2.5 2.57 3 3x"),
        ("{{ [{'n': 'a'}, {'n': 'b'}] | map(attribute='n') | join }} {{ ['a', 'B'] | map('lower') | join }}", "ab ab"),
        ("{{ [1, 2, 3, 4] | select('even') | list }} {{ [1, 2, 3] | reject('odd') | list }}", "[2, 4] [2]"),
        ("{{ [{'x': 1}, {'x': 0}] | selectattr('x') | list | length }} {{ [{'x': 1}, {'x': 0}] | rejectattr('x') | list | length }}", "1 1"),
        ("{{ {'a': [1, none, true, 'q\"']} | tojson }}", "{\"a\": [1, null, true, \"q\\\"\"]}"),
        ("{{ 'a\nb' | indent(2) }}|{{ 'a\nb' | indent(2, true) }}", "a\n  b|  a\n  b"),
        ("{{ 'true' | as_bool }} {{ '12' | as_number + 1 }} {{ 5 | as_text }} {{ '[1, 2]' | as_native | length }}", "True 13 5 2"),
        ("{% filter upper %}shout{% endfilter %}", "SHOUT"),
        ("{{ x is defined }} {{ y is not defined }} {{ none is none }} {{ 'a' is string }} {{ 3 is number }}", "True True True True True"),
        ("{{ '%s-%d' % ('a', 3) }} {{ '{}+{}'.format(1, 2) }}", "a-3 1+2"),
        ("{{ dict(a=1)['a'] }} {{ {'a': {'b': 2}}.a.b }}", "1 2"),
    ] as [(String, String)])
    func rendersLikeJinja(template: String, expected: String) throws {
        #expect(try render(template, ["x": .int(1)]) == expected)
    }

    @Test func macrosWithDefaultsVarargsKwargsAndCaller() throws {
        let macros = """
        {% macro greet(name, greeting='hello') -%}
            {{ greeting }} {{ name }}
        {%- endmacro %}
        {% macro count_args() -%}
            {{ varargs | length }}:{{ kwargs.keys() | sort | join(',') }}
        {%- endmacro %}
        {% macro wrap() -%}
            [{{ caller() }}]
        {%- endmacro %}
        {% macro first_of(xs) -%}
            {{ return(xs[0]) }}
        {%- endmacro %}
        """
        #expect(try render("{{ greet('ada') }}/{{ greet('bob', greeting='hi') }}", macros: macros) == "hello ada/hi bob")
        #expect(try render("{{ count_args(1, 2, a=3, b=4) }}", macros: macros) == "2:a,b")
        #expect(try render("{% call wrap() %}inside{% endcall %}", macros: macros) == "[inside]")
        #expect(try render("{{ first_of([7, 8]) + 1 }}", macros: macros) == "8")
        #expect(try render("{% macro local(x) %}<{{ x }}>{% endmacro %}{{ local(1) }}") == "<1>")
    }

    @Test func sourceMapPointsBackIntoTheTemplate() throws {
        let t = try Template(path: "m.sql", text: "{{ config(x=1) }}\nselect\n  {{ 'a' }} as col\nfrom t")
        var env = Environment()
        env.globals["config"] = .function(Function("config") { _, _ in .string("") })
        let out = try Renderer.render(t, environment: env)
        #expect(out.text == "\nselect\n  a as col\nfrom t")
        // "from" in the output maps to "from" in the template
        let outOffset = Array(out.text.utf8).count - "from t".utf8.count
        let src = try #require(out.sourceMap.sourceOffset(forOutputOffset: outOffset))
        #expect(t.source.location(ofUTF8Offset: src) == SourceLocation(file: "m.sql", line: 4, column: 1))
    }

    @Test func staticCallsFindRefsWithoutRendering() throws {
        let t = try Template(path: "m.sql", text: "{% if false %}{{ ref('a') }}{% endif %}{{ source('s', 't') }}{{ ref(name) }}{% macro m() %}{{ ref('inmacro') }}{% endmacro %}")
        let calls = t.calls(named: ["ref", "source"])
        #expect(calls.map(\.name) == ["ref", "source", "ref"])
        #expect(calls[0].literalStrings == ["a"])
        #expect(calls[1].literalStrings == ["s", "t"])
        #expect(calls[2].literalStrings == nil)
    }
}
