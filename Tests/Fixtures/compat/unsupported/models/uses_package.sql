select * from {{ ref('dbt_utils', 'some_model') }}
