"""Domain errors of the orders app."""

from django.utils.translation import gettext as _

from inventory.errors import OutOfStock, ShortLine  # noqa: F401  (re-exported: callers catch it here)
from kernel.errors import DomainError, InvalidRows


class OrderError(DomainError):
    pass


class InvalidOrder(OrderError):
    """Bad input: ``errors`` maps field paths (``lines.0.sku``) to messages."""

    code = "invalid"
    http_status = 400

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(errors)

    def detail(self) -> str:
        return _("The request has invalid fields.")

    def payload(self) -> dict:
        return {"errors": {key: [str(m) for m in messages] for key, messages in self.errors.items()}}


class InvalidTransition(OrderError):
    code = "invalid_transition"
    http_status = 409


class CartFull(OrderError):
    """The cart already holds its maximum number of different items (``settings.CART_MAX_LINES``)."""

    code = "cart_full"
    http_status = 409

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(limit)

    def detail(self) -> str:
        return _("Your cart is full (at most %(n)s different items). Remove something first.") % {"n": self.limit}

    def payload(self) -> dict:
        return {"limit": self.limit}


class OrderImportInvalid(OrderError, InvalidRows):
    """An import of past orders refused as a whole: ``errors`` lists every bad row
    (``kernel.errors.RowError``); nothing was written."""


class DiscountRefused(InvalidOrder):
    """Discount codes refused (``orders.discounts``): typed at checkout but not applicable, or
    become unusable while the order was being placed (a provider's commit raises it and the
    order rolls back). The field ``codes`` has each code's message; ``refused`` lists each code
    with its machine-readable reason (``orders.discounts.REFUSAL_REASONS``)."""

    def __init__(self, refused: list):
        self.refused = list(refused)
        super().__init__({"codes": [r.message for r in self.refused]})

    def payload(self) -> dict:
        return {**super().payload(),
                "refused": [{"code": r.code, "reason": r.reason, "message": str(r.message)} for r in self.refused]}
