select b.id, b.greeting, s.label
from "strata"."analytics_from_pkg"."pkg_a_base" b
join "strata"."analytics"."pkg_a_seed" s on s.id = b.id