
    
    

with all_values as (

    select
        id as value_field,
        count(*) as n_records

    from "strata"."analytics"."c00"
    group by id

)

select *
from all_values
where value_field not in (
    '1','2'
)


