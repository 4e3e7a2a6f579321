

  
    

    split_part(
        'a-b',
        '-',
        2
        )


  

