array_to_string(
        (array_agg(
            name
            order by name
        ))[1:2],
        ', '
        )