select {{ dbt_utils.star(ref('fine')) }}, {{ missing_macro() }}
from {{ ref('fine') }}
where id > {{ var('threshold') }}
