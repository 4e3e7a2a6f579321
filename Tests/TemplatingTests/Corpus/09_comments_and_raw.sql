a{# comment #}b {# multi
line #}c
{% raw %}{{ kept }} {% if %}{% endraw %}
