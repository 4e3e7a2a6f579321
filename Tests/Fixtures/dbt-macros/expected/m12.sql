

    d + ((interval '1 day') * (3))

