select * from {{ ref('customers') }} where total_cents < 0
