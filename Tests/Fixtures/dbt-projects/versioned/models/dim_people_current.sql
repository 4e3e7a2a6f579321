select id, name, left(name, 1) as initial from {{ ref('people') }}
