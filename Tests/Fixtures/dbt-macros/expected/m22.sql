

    position(
        'x' in col
    )