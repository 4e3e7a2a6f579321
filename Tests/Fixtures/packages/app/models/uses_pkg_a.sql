select b.id, b.greeting, s.label
from {{ ref('pkg_a', 'pkg_a_base') }} b
join {{ ref('pkg_a_seed') }} s on s.id = b.id
