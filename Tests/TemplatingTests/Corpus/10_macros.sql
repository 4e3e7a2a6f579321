select {{ cents_to_dollars('amount') }}, {{ cents_to_dollars('tax', scale=4) }}
-- {{ columns_list(items) }} / {{ columns_list(items, prefix='t.') }}
-- {{ count_args(1, 2, 3, a=1) }}
{% call wrap_in('b') %}bold {{ x }}{% endcall %}
select{{ pivot('status', ['new', 'Shipped Late']) }}
from orders
