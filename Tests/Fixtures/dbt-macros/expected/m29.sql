cast(
        

    

    date_trunc('month', d) + ((interval '1 month') * (1))

 + ((interval '1 day') * (-1))


        as date)