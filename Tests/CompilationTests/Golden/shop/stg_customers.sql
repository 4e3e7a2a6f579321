select
    id as customer_id,
    first_name,
    last_name,
    country as country_code
from "strata"."public_raw"."raw_customers"