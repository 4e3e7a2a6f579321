select
    {%- for c in items %}
    {{ c }}
    {%- if not loop.last %},{% endif %}
    {%- endfor %}
from t
{#- a comment that eats the newline before it #}
where 1 = 1
    {{- ' and x' }}
