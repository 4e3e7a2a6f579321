{% macro cents_to_dollars(column, scale=2) -%}
    round(cast({{ column }} as numeric) / 100, {{ scale }})
{%- endmacro %}

{% macro columns_list(cols, prefix='') -%}
    {%- for c in cols -%}
        {{ prefix }}{{ c }}{% if not loop.last %}, {% endif %}
    {%- endfor -%}
{%- endmacro %}

{% macro wrap_in(tag) -%}
<{{ tag }}>{{ caller() }}</{{ tag }}>
{%- endmacro %}

{% macro count_args() -%}
{{ varargs | length }} positional, {{ kwargs | length }} keyword
{%- endmacro %}

{% macro pivot(column, values, agg='sum') -%}
    {%- for v in values %}
    {{ agg }}(case when {{ column }} = '{{ v }}' then 1 else 0 end) as {{ column }}_{{ v | replace(' ', '_') | lower }}
    {%- if not loop.last %},{% endif -%}
    {% endfor %}
{%- endmacro %}
