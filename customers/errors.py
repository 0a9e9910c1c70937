class CustomerError(Exception):
    pass
