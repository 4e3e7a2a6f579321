-- postgres dateadd does not support quarter interval.
    cast(
        

    

    date_trunc('quarter', d) + ((interval '1 month') * (3))

 + ((interval '1 day') * (-1))


        as date)