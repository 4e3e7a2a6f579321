with source_data as (

    select * from {{ source('raw', 'raw_customers') }}

)

select
    cast(id as bigint) as customer_id,
    cast(country_code as text) as country_code,
    cast(lower(segment) as text) as segment,
    cast(signup_date as date) as signup_date,
    cast(id % 4 as numeric) as m_1,
    cast(case when is_active then 1 else 0 end as numeric) as m_2,
    cast(length(email) + 1 as numeric) as m_3,
    cast(first_name || ' ' || last_name as text) as label
from source_data
