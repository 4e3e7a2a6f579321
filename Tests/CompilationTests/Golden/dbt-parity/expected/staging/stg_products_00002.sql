with source_data as (

    select * from "dbtparity"."public_raw"."raw_products"

)

select
    cast(id as bigint) as product_id,
    cast(category as text) as category,
    cast(price as numeric) as list_price,
    cast(price - cost as numeric) as m_1,
    cast(supplier_id + 2 as numeric) as m_2,
    cast(case when is_discontinued then 0 else price end as numeric) as m_3,
    cast(name as text) as label
from source_data