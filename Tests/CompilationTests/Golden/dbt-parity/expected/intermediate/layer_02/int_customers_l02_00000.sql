

with p as (

    select * from "dbtparity"."public"."int_customers_l01_00012"

),

s1 as (

    select * from "dbtparity"."public"."stg_countries_00000"

),

s2 as (

    select * from "dbtparity"."public"."stg_customers_00001"

)

select
    p.customer_id,
    p.country_code,
    p.segment,
    p.signup_date,
    cast(p.m_1 + coalesce(((s1.m_2) / nullif((s2.m_3), 0)), 0) as numeric) as m_1,
    cast(p.m_2 + coalesce(s2.m_2, 0) as numeric) as m_2,
    cast(case when s1.m_3 is null then p.m_3 else p.m_3 + s1.m_3 end as numeric) as m_3,
    cast(left(p.label || '|' || coalesce(s2.label, ''), 64) as text) as label
from p
left join s1 on p.country_code = s1.country_code
left join s2 on p.customer_id = s2.customer_id