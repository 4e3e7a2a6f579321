{{ config(materialized='table') }}

with p as (

    select * from {{ ref('int_payments_l01_00002') }}

),

s1 as (

    select * from {{ ref('stg_orders_00003') }}

),

s2 as (

    select * from {{ ref('stg_payments_00004') }}

)

select
    p.payment_id,
    p.order_id,
    p.method,
    p.paid_at,
    cast(p.m_1 * 0.5 + coalesce(s1.m_1, 0) * 0.5 as numeric) as m_1,
    cast(p.m_2 + coalesce(s2.m_2, 0) as numeric) as m_2,
    cast(case when s1.m_3 is null then p.m_3 else p.m_3 + s1.m_3 end as numeric) as m_3,
    cast(left(p.label || '|' || coalesce(s2.label, ''), 64) as text) as label
from p
left join s1 on p.order_id = s1.order_id
left join s2 on p.payment_id = s2.payment_id
