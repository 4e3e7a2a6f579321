select * from {{ ref('dim_people') }}
