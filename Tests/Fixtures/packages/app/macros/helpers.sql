{% macro helper() %}helper_root{% endmacro %}

{# overrides pkg_a's default__shout through the dispatch search order #}
{% macro postgres__shout(x) %}{{ x | upper }}!root{% endmacro %}
