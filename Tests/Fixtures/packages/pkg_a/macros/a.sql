{% macro helper() %}helper_a{% endmacro %}

{# a bare helper() resolves as it does for the root project's node: to the root's helper #}
{% macro greet() %}greet_a({{ pkg_a.helper() }},{{ helper() }}){% endmacro %}

{% macro shout(x) %}{{ return(adapter.dispatch('shout', 'pkg_a')(x)) }}{% endmacro %}
{% macro default__shout(x) %}{{ x }}!a{% endmacro %}

{% macro whisper(x) %}{{ return(adapter.dispatch('whisper', 'pkg_a')(x)) }}{% endmacro %}
{% macro default__whisper(x) %}{{ x | lower }}...a{% endmacro %}

{% test positive(model, column_name) %}
select * from {{ model }} where {{ column_name }} <= 0
{% endtest %}
