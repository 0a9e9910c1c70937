"""Domain errors of the orders app."""

from inventory.errors import OutOfStock, ShortLine  # noqa: F401  (re-exported: callers catch it here)


class OrderError(Exception):
    pass


class InvalidOrder(OrderError):
    """Bad input: ``errors`` maps field paths (``lines.0.sku``) to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(errors)


class InvalidTransition(OrderError):
    pass
