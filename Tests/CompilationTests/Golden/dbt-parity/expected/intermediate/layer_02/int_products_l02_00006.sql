

with p as (

    select * from "dbtparity"."public"."int_products_l01_00009"

),

s1 as (

    select * from "dbtparity"."public"."stg_products_00005"

)

select
    p.product_id,
    p.category,
    p.list_price,
    cast(p.m_1 * 0.5 + coalesce(s1.m_1, 0) * 0.5 as numeric) as m_1,
    cast(p.m_2 + coalesce(s1.m_2, 0) as numeric) as m_2,
    cast(case when s1.m_3 is null then p.m_3 else p.m_3 + s1.m_3 end as numeric) as m_3,
    cast(left(p.label || '|' || coalesce(s1.label, ''), 64) as text) as label
from p
left join s1 on p.product_id = s1.product_id