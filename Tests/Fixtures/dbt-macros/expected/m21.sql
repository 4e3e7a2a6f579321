

    length(
        col
    )