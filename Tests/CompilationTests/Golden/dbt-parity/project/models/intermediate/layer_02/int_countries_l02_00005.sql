{{ config(materialized='table') }}

with p as (

    select * from {{ ref('int_countries_l01_00011') }}

),

s1 as (

    select * from {{ ref('stg_countries_00000') }}

)

select
    p.country_code,
    p.region,
    cast(p.m_1 + coalesce({{ safe_divide('s1.m_2', 's1.m_3') }}, 0) as numeric) as m_1,
    cast(p.m_2 + coalesce(s1.m_2, 0) as numeric) as m_2,
    cast(case when s1.m_3 is null then p.m_3 else p.m_3 + s1.m_3 end as numeric) as m_3,
    cast(left(p.label || '|' || coalesce(s1.label, ''), 64) as text) as label
from p
left join s1 on p.country_code = s1.country_code
