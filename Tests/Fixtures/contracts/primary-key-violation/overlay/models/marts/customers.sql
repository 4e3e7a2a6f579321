select
    1 as customer_id,
    first_name,
    last_name,
    country_code,
    null::date as first_order,
    null::date as most_recent_order,
    0::bigint as number_of_orders,
    0::numeric as lifetime_value
from {{ ref('stg_customers') }}
