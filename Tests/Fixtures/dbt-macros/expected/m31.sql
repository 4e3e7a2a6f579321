
        (date_part('year', (b)::date) - date_part('year', (a)::date))
    