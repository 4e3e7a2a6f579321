
  
    cast(b as TEXT)

