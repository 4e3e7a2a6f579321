with p as (

    select * from "dbtparity"."public"."stg_customers_00001"

),

c as (

    select * from "dbtparity"."public"."stg_orders_00003"

),

agg as (

    select
        customer_id as k,
        count(*) as n_rows,
        sum(m_1) as total_m_1,
        max(m_2) as max_m_2
    from c
    group by customer_id

)

select
    p.customer_id,
    p.country_code,
    p.segment,
    p.signup_date,
    cast(p.m_1 + coalesce(agg.total_m_1, 0) as numeric) as m_1,
    cast(coalesce(agg.n_rows, 0) as numeric) as m_2,
    cast(greatest(p.m_3, coalesce(agg.max_m_2, 0)) as numeric) as m_3,
    cast(p.label as text) as label
from p
left join agg on p.customer_id = agg.k