"""Domain errors of the inventory app; views map them to form errors, the API to 400/409."""

from dataclasses import dataclass


class InventoryError(Exception):
    pass


@dataclass
class ShortLine:
    sku: str
    location: str
    requested: int
    available: int


class OutOfStock(InventoryError):
    """Raised when one or more lines cannot be reserved; nothing was reserved."""

    def __init__(self, lines: list[ShortLine]):
        self.lines = lines
        super().__init__(", ".join(f"{line.sku}@{line.location}: {line.available}/{line.requested}" for line in lines))


class InvalidStockOperation(InventoryError):
    pass
