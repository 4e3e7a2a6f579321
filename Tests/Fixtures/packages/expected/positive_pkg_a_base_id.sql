
select * from "strata"."analytics_from_pkg"."pkg_a_base" where id <= 0
