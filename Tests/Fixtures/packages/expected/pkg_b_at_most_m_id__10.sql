

select * from "strata"."analytics"."m" where id > 10
