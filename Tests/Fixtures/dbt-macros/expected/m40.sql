
        (
        (
        (
        ((b)::date - (a)::date)
     * 24 + date_part('hour', (b)::timestamp) - date_part('hour', (a)::timestamp))
     * 60 + date_part('minute', (b)::timestamp) - date_part('minute', (a)::timestamp))
     * 60000000 + floor(date_part('microsecond', (b)::timestamp)) - floor(date_part('microsecond', (a)::timestamp)))
    