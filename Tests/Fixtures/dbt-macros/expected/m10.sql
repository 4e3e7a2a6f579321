
    
    cast(x as integer)
