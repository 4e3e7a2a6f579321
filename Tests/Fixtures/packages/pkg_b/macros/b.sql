{% macro helper() %}helper_b{% endmacro %}

{% macro greet() %}greet_b({{ pkg_b.helper() }}){% endmacro %}

{# no dispatch config for pkg_b: the root project, then pkg_b #}
{% macro loud(x) %}{{ return(adapter.dispatch('loud', 'pkg_b')(x)) }}{% endmacro %}
{% macro default__loud(x) %}{{ x }}!!b{% endmacro %}

{% test at_most(model, column_name, limit_value) %}
{{ config(severity='warn') }}
select * from {{ model }} where {{ column_name }} > {{ limit_value }}
{% endtest %}
