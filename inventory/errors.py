"""Domain errors of the inventory app; views map them to form errors, the API to 400/409."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from kernel.errors import DomainError, InvalidRows


class InventoryError(DomainError):
    pass


@dataclass
class ShortLine:
    sku: str
    location: str
    requested: int
    available: int


class OutOfStock(InventoryError):
    """Raised when one or more lines cannot be reserved; nothing was reserved."""

    code = "out_of_stock"
    http_status = 409

    def __init__(self, lines: list[ShortLine]):
        self.lines = lines
        super().__init__(", ".join(f"{line.sku}@{line.location}: {line.available}/{line.requested}" for line in lines))

    def detail(self) -> str:
        return _("Not enough stock for some lines; nothing was reserved.")

    def payload(self) -> dict:
        return {"lines": [{"sku": line.sku, "location": line.location, "requested": line.requested,
                           "available": line.available} for line in self.lines]}


class InvalidStockOperation(InventoryError):
    code = "invalid_stock_operation"
    http_status = 409


class VariantInUse(InventoryError):
    """A variant with stock history, holds or order lines stays (the history refers to it)."""

    code = "variant_in_use"
    http_status = 409

    def __init__(self, sku: str):
        self.sku = sku
        super().__init__(_("%(sku)s has stock movements, holds or order lines and cannot be deleted: its history "
                           "stays.") % {"sku": sku})


class StockImportInvalid(InventoryError, InvalidRows):
    """An import of opening stock balances refused as a whole: ``errors`` lists every bad row
    (``kernel.errors.RowError``); nothing was written."""


class ZonesInvalid(InventoryError, InvalidRows):
    """Zones / bins set in bulk refused as a whole: ``errors`` lists every bad row
    (``kernel.errors.RowError``); no zone was changed."""

    def detail(self) -> str:
        return _("Some rows are invalid; no zone was changed.")


class DocumentStateError(InventoryError):
    """A transfer, purchase order or count is not in the state the step needs (a count posted
    twice, a transfer shipped twice); nothing was changed."""

    code = "invalid_state"
    http_status = 409


class LinesInvalid(InventoryError):
    """Lines of a transfer, receipt, purchase order or count refused; ``errors`` maps a field
    path (``lines.0.quantity``) to messages. Nothing was changed."""

    code = "invalid"
    http_status = 400

    def __init__(self, errors: dict[str, list[str]], message: str = ""):
        self.errors = errors
        super().__init__(message or "; ".join(m for messages in errors.values() for m in messages))

    def payload(self) -> dict:
        return {"errors": {path: [str(m) for m in messages] for path, messages in self.errors.items()}}


class OverExpected(LinesInvalid):
    """More units received than the purchase order or transfer expects, by someone without the
    permission to receive over; ``errors`` names the lines. Nothing was received."""

    code = "over_expected"
    http_status = 400
