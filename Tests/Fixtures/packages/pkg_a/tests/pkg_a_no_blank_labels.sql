select * from {{ ref('pkg_a_base') }} where label = ''
