{{ '42' | int }} {{ 3.9 | int }} {{ 'x' | int }} {{ '2.5' | float }} {{ 2.555 | round(2) }} {{ 2.5 | round }} {{ 2.1 | round(0, 'ceil') }} {{ -4 | abs }} {{ 12 | string | length }}
