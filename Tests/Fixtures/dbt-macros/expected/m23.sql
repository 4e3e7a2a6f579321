

    except

