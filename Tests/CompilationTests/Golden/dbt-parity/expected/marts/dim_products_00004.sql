with p as (

    select * from "dbtparity"."public"."int_products_l02_00013"

),

s1 as (

    select * from "dbtparity"."public"."stg_products_00005"

),

s2 as (

    select * from "dbtparity"."public"."int_products_l02_00009"

)

select
    p.product_id,
    p.category,
    p.list_price,
    cast(greatest(p.m_1, coalesce(s1.m_3, 0)) as numeric) as m_1,
    cast(p.m_2 + coalesce(s2.m_2, 0) as numeric) as m_2,
    cast(case when s1.m_3 is null then p.m_3 else p.m_3 + s1.m_3 end as numeric) as m_3,
    cast(left(p.label || '|' || coalesce(s2.label, ''), 64) as text) as label
from p
left join s1 on p.product_id = s1.product_id
left join s2 on p.product_id = s2.product_id