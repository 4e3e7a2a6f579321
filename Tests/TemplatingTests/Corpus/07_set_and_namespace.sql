{% set a = 1 %}{% set b, c = 2, 3 %}{{ a + b + c }}
{% set block %}inside {{ a }}{% endset %}[{{ block }}]
{% set ns = namespace(total=0, seen=[]) %}{% for i in [1, 2, 3] %}{% set ns.total = ns.total + i %}{% do ns.seen.append(i) %}{% endfor %}{{ ns.total }} {{ ns.seen }}
{% set scoped = 'outer' %}{% for i in [1] %}{% set scoped = 'inner' %}{% endfor %}{{ scoped }}
