{% macro safe_divide(numerator, denominator) -%}
    (({{ numerator }}) / nullif(({{ denominator }}), 0))
{%- endmacro %}

{% macro cents_to_dollars(column_name, scale=2) -%}
    round(cast(({{ column_name }}) as numeric) / 100, {{ scale }})
{%- endmacro %}

{% macro bench_limit_in_dev(n=1000000) -%}
    {% if target.name == 'never' %} limit {{ n }} {% endif %}
{%- endmacro %}
