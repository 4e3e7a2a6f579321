with p as (

    select * from {{ ref('stg_payments_00004') }}

)

select
    p.payment_id,
    p.order_id,
    p.method,
    p.paid_at,
    cast(p.m_1 as numeric) as m_1,
    cast(p.m_2 as numeric) as m_2,
    cast(p.m_3 as numeric) as m_3,
    cast(p.label as text) as label
from p

