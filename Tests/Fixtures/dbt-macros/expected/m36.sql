
        (
        ((b)::date - (a)::date)
     * 24 + date_part('hour', (b)::timestamp) - date_part('hour', (a)::timestamp))
    