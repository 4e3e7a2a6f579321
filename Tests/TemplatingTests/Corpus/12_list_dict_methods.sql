{% set l = [3, 1, 2] %}{% do l.append(4) %}{% do l.extend([5]) %}{{ l }} {{ l.pop() }} {{ l }} {{ l.index(1) }} {{ l.count(3) }}
{% set d = {'a': 1} %}{% do d.update({'b': 2}) %}{{ d }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.get('z', 'none') }} {{ d.items() | list }}
{{ d.a }} {{ d['b'] }} {{ l[0] }} {{ l[-1] }} {{ 'abcdef'[1:4] }} {{ [1, 2, 3, 4][::2] }}
