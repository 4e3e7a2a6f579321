
    
    



select id
from "strata"."analytics_from_pkg"."pkg_a_base"
where id is null


