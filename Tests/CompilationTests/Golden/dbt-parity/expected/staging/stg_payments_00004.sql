with source_data as (

    select * from "dbtparity"."public_raw"."raw_payments"

)

select
    cast(id as bigint) as payment_id,
    cast(order_id as bigint) as order_id,
    cast(method as text) as method,
    cast(paid_at as timestamp) as paid_at,
    cast(round(cast((amount * 100) as numeric) / 100, 2) as numeric) as m_1,
    cast(case when state = 'ok' then 1 else 0 end as numeric) as m_2,
    cast(amount + 4 as numeric) as m_3,
    cast(method || ':' || id as text) as label
from source_data