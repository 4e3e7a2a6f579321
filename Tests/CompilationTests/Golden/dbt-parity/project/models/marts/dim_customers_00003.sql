with p as (

    select * from {{ ref('int_customers_l02_00000') }}

)

select
    p.customer_id,
    p.country_code,
    p.segment,
    p.signup_date,
    cast(p.m_1 as numeric) as m_1,
    cast(p.m_2 as numeric) as m_2,
    cast(p.m_3 as numeric) as m_3,
    cast(p.label as text) as label
from p

