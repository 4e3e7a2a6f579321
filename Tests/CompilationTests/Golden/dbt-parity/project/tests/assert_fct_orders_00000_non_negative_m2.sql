-- m_2 is built from counts and quantities only
select * from {{ ref('fct_orders_00000') }} where m_2 < 0
