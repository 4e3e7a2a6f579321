{% for i in items %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.length }}:{{ i }}{{ '' if loop.last else ',' }}{% endfor %}
{% for i in items if i != 'b' %}[{{ loop.first }} {{ i }}]{% endfor %}
{% for i in [] %}never{% else %}else branch{% endfor %}
{% for k, v in user.items() %}{{ k }}={{ v }};{% endfor %}
{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }} {% endfor %}
{% for row in [[1, 2], [3]] %}{% for cell in row %}{{ cell }}{% endfor %}|{% endfor %}
