select
    id as payment_id,
    order_id,
    payment_method,
    round(cast(amount_cents as numeric) / 100, 2) as amount
from "strata"."public_raw"."raw_payments"