select * from {{ ref('dim_people', v=1) }}
