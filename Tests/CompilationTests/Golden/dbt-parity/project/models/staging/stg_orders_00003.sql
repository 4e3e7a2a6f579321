with source_data as (

    select * from {{ source('raw', 'raw_orders') }}

)

select
    cast(id as bigint) as order_id,
    cast(customer_id as bigint) as customer_id,
    cast(product_id as bigint) as product_id,
    cast(order_date as date) as order_date,
    cast(status as text) as status,
    cast(updated_at as timestamp) as updated_at,
    cast(amount as numeric) as m_1,
    cast(quantity + 3 as numeric) as m_2,
    cast(amount * quantity as numeric) as m_3,
    cast('order-' || id as text) as label
from source_data
