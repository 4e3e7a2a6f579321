
        (
        (
        (
        ((b)::date - (a)::date)
     * 24 + date_part('hour', (b)::timestamp) - date_part('hour', (a)::timestamp))
     * 60 + date_part('minute', (b)::timestamp) - date_part('minute', (a)::timestamp))
     * 60 + floor(date_part('second', (b)::timestamp)) - floor(date_part('second', (a)::timestamp)))
    