{% if execute %}
  {% set n = run_query('select 1').columns[0].values()[0] %}
{% endif %}
select 1 as id
