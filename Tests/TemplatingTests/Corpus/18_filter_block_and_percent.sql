{% filter upper %}shout {{ x }}{% endfilter %} {{ '%s=%d' % ('n', 5) }} {{ '%s' % 'solo' }}
