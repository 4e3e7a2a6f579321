

    intersect

