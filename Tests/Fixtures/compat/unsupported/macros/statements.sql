{% macro old_style() %}
  {% call statement('x', fetch_result=True) %}select 1{% endcall %}
  {{ return(load_result('x')) }}
{% endmacro %}
