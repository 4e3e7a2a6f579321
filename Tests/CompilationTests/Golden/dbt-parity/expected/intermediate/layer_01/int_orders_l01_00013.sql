with p as (

    select * from "dbtparity"."public"."stg_orders_00003"

),

s1 as (

    select * from "dbtparity"."public"."stg_customers_00001"

),

s2 as (

    select * from "dbtparity"."public"."stg_products_00002"

)

select
    p.order_id,
    p.customer_id,
    p.product_id,
    p.order_date,
    p.status,
    p.updated_at,
    cast(p.m_1 + coalesce(s1.m_1, 0) as numeric) as m_1,
    cast(p.m_2 + coalesce(s2.m_2, 0) as numeric) as m_2,
    cast(case when s1.m_3 is null then p.m_3 else p.m_3 + s1.m_3 end as numeric) as m_3,
    cast(left(p.label || '|' || coalesce(s2.label, ''), 64) as text) as label
from p
left join s1 on p.customer_id = s1.customer_id
left join s2 on p.product_id = s2.product_id