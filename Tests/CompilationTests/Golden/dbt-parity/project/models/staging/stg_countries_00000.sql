with source_data as (

    select * from {{ ref('raw_countries') }}

)

select
    cast(code as text) as country_code,
    cast(region as text) as region,
    cast(population as numeric) as m_1,
    cast(length(name) + 0 as numeric) as m_2,
    cast({{ safe_divide('population', 1000) }} as numeric) as m_3,
    cast(name as text) as label
from source_data
