{# a package's node: its bare helper() is the package's own (dbt's local namespace), its vars are the package's
   under what the root project sets for it #}
select
  '{{ helper() }}' as helper,
  '{{ var("greeting") }}' as greeting,
  '{{ var("farewell") }}' as farewell,
  id, label
from {{ ref('pkg_a_seed') }}
