{{ 1 < 2 }} {{ 2 <= 2 }} {{ 'b' > 'a' }} {{ 1 == 1.0 }} {{ 1 != 2 }} {{ 'a' in 'cat' }} {{ 3 not in [1, 2] }} {{ 'k' in {'k': 1} }}
{{ x and 'yes' }} {{ 0 or 'fallback' }} {{ not x }} {{ none or [] }}
