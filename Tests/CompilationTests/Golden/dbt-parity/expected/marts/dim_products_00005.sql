with p as (

    select * from "dbtparity"."public"."int_products_l02_00009"

)

select
    p.product_id,
    p.category,
    p.list_price,
    cast(p.m_1 as numeric) as m_1,
    cast(p.m_2 as numeric) as m_2,
    cast(p.m_3 as numeric) as m_3,
    cast(p.label as text) as label
from p