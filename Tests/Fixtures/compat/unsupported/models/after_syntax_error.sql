select * from {{ ref('syntax_error') }}
