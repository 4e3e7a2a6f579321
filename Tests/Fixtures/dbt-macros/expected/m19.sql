

    replace(
        col,
        'a',
        'b'
    )


