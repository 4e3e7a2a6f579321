{{ x is defined }} {{ undefined_thing is defined }} {{ undefined_thing is not defined }} {{ none is none }} {{ 'a' is string }} {{ 1 is number }} {{ 1.5 is float }} {{ 1 is integer }}
{{ items is iterable }} {{ user is mapping }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby(3) }} {{ 'abc' is lower }} {{ 2 is eq(2) }} {{ 3 is gt(2) }} {{ 1 is in([1]) }}
{{ user.missing is defined }}
