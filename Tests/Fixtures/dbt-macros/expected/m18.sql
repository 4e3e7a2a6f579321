

  
    

    split_part(
        'a-b',
        '-',
          length('a-b')
          - length(
              replace('a-b',  '-', '')
          ) + 2 + -1
        )


  

