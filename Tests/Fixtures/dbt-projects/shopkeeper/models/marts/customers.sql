select
    c.customer_id,
    c.first_name || ' ' || c.last_name as full_name,
    c.email,
    coalesce(t.orders, 0) as orders,
    coalesce(t.total_cents, 0) as total_cents,
    coalesce(t.completed_orders, 0) as completed_orders
from {{ ref('stg_customers') }} c
left join {{ ref('order_totals') }} t on t.customer_id = c.customer_id
