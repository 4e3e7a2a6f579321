

    right(
        col,
        3
    )