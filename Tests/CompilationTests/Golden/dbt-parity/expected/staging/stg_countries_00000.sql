with source_data as (

    select * from "dbtparity"."public_raw"."raw_countries"

)

select
    cast(code as text) as country_code,
    cast(region as text) as region,
    cast(population as numeric) as m_1,
    cast(length(name) + 0 as numeric) as m_2,
    cast(((population) / nullif((1000), 0)) as numeric) as m_3,
    cast(name as text) as label
from source_data