{{ config(materialized='table') }}

with p as (

    select * from {{ ref('int_orders_l01_00007') }}

),

c as (

    select * from {{ ref('int_payments_l01_00008') }}

),

agg as (

    select
        order_id as k,
        count(*) as n_rows,
        sum(m_1) as total_m_1,
        max(m_2) as max_m_2
    from c
    group by order_id

)

select
    p.order_id,
    p.customer_id,
    p.product_id,
    p.order_date,
    p.status,
    p.updated_at,
    cast(p.m_1 + coalesce(agg.total_m_1, 0) as numeric) as m_1,
    cast(coalesce(agg.n_rows, 0) as numeric) as m_2,
    cast(greatest(p.m_3, coalesce(agg.max_m_2, 0)) as numeric) as m_3,
    cast(p.label as text) as label
from p
left join agg on p.order_id = agg.k
