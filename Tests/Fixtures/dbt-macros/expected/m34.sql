
        ((b)::date - (a)::date)
    