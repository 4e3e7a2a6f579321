
    string_agg(
        name,
        ','
        
        )