
select
  'helper_a' as helper,
  'app says hello' as greeting,
  'pkg_a farewell' as farewell,
  id, label
from "strata"."analytics"."pkg_a_seed"