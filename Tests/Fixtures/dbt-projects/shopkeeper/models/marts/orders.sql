{{ config(materialized='incremental', unique_key='order_id', incremental_strategy='merge', on_schema_change='append_new_columns') }}
select
    order_id,
    customer_id,
    ordered_at,
    status,
    amount_cents,
    md5(cast(order_id as text) || '-' || cast(customer_id as text)) as order_key
from {{ ref('stg_orders') }}
{% if is_incremental() %}
where ordered_at > (select max(ordered_at) from {{ this }})
{% endif %}
