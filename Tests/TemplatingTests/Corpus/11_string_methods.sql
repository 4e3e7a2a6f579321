{{ 'Hello'.upper() }} {{ 'Hello'.lower() }} {{ '  pad  '.strip() }} {{ 'xxhixx'.strip('x') }} {{ 'a,b,,c'.split(',') }} {{ 'a b  c'.split() }}
{{ 'a-b-c'.replace('-', '_') }} {{ 'prefix_x'.startswith('prefix') }} {{ 'x.sql'.endswith(('.sql', '.yml')) }} {{ '-'.join(items) }}
{{ 'hello world'.title() }} {{ 'abc'.capitalize() }} {{ '{} and {}'.format('a', 'b') }} {{ 'banana'.count('a') }} {{ 'abc'.find('c') }}
