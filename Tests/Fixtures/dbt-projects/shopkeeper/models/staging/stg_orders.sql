select
    id as order_id,
    customer_id,
    cast(ordered_at as timestamp) as ordered_at,
    status,
    {{ cents('amount') }} as amount_cents
from {{ ref('raw_orders') }}
where amount >= {{ var('min_amount') }}
