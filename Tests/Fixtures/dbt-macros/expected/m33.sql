
        (
        (date_part('year', (b)::date) - date_part('year', (a)::date))
     * 12 + date_part('month', (b)::date) - date_part('month', (a)::date))
    