{% set rel = adapter.get_relation(database=target.database, schema=target.schema, identifier='x') %}
select 1 as id
