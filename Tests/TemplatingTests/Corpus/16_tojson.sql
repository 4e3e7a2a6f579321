{{ {'a': [1, 2.5, none, true], 'b': 'quote " and é'} | tojson }}
