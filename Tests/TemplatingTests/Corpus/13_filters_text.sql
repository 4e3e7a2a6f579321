{{ 'MiXed' | lower }} {{ 'MiXed' | upper }} {{ '  t  ' | trim }} {{ 'a b' | replace(' ', '-') }} {{ 'x' | string }} {{ 'hello world' | title }}
{{ none | default('dflt') }} {{ '' | default('empty', true) }} {{ 'set' | default('unused') }} {{ 'a\nb' | indent(4) }} {{ 'a\nb' | indent(2, first=true) }}
