{% snapshot customers_snapshot %}
{{ config(unique_key='customer_id', strategy='check', check_cols=['email', 'full_name']) }}
select customer_id, full_name, email from {{ ref('customers') }}
{% endsnapshot %}
