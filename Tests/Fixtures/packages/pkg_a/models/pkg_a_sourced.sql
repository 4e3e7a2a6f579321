select * from {{ source('pkg_a_raw', 'things') }}
