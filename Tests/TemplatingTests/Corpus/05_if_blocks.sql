{% if x == 1 %}one{% elif x == 2 %}two{% else %}many{% endif %}
{% if not items %}empty{% elif items | length > 2 %}long{% endif %}
{% if user.roles and 'admin' in user.roles %}admin{% endif %}
