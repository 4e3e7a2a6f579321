{{ config(materialized='ephemeral') }}
select
    customer_id,
    count(*) as orders,
    sum(amount_cents) as total_cents,
    {% for s in var('statuses') -%}
    sum(case when status = '{{ s }}' then 1 else 0 end) as {{ s }}_orders{{ "," if not loop.last }}
    {% endfor %}
from {{ ref('stg_orders') }}
group by customer_id
