
    
    



select id
from "strata"."analytics"."c00"
where id is null


