{{ items | join(', ') }} {{ items | length }} {{ items | first }} {{ items | last }} {{ [3, 1, 2] | sort }} {{ [3, 1, 2] | sort(reverse=true) }}
{{ [1, 2, 2, 3, 1] | unique | list }} {{ 'abc' | list }} {{ [1, 2, 3] | sum }} {{ [4, 2, 8] | min }} {{ [4, 2, 8] | max }} {{ items | reverse | list }}
{{ [{'n': 'x', 'v': 2}, {'n': 'y', 'v': 1}] | sort(attribute='v') | map(attribute='n') | join }} {{ ['A', 'B'] | map('lower') | list }}
{{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3, 4] | reject('odd') | list }} {{ [0, 1, '', 'a'] | select | list }}
{{ [{'a': true}, {'a': false}] | selectattr('a') | list | length }} {{ [{'a': 1}, {'a': 2}] | rejectattr('a', 'equalto', 1) | list }}
{{ [1, 2, 3, 4, 5] | batch(2) | list }} {{ {'b': 1, 'a': 2} | dictsort }}
