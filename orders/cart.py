"""The storefront cart: SKU -> quantity in the session. Nothing is reserved until checkout;
``order_place`` validates everything again, so a stale or tampered cart can never place a
bad order."""

import re
import secrets
from dataclasses import dataclass

from django.db.models import Prefetch

from inventory.models import ProductImage, Variant

from .services import MAX_LINE_QUANTITY, LineIn
from .tax import TaxSummary, summarise

SESSION_KEY = "cart"
# The one-time token of the cart's checkout: issued into the checkout form, kept by the order
# it places (unique), dropped with the cart once that order exists. See ``Cart.checkout_token``.
CHECKOUT_TOKEN_KEY = "checkout_token"
CHECKOUT_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")


@dataclass
class CartLine:
    sku: str
    quantity: int
    variant: Variant | None  # None: the SKU is no longer sold (stale cart)

    @property
    def available(self) -> bool:
        return self.variant is not None and self.variant.product.is_active

    @property
    def unit_price(self) -> int:
        return self.variant.price if self.available else 0

    @property
    def line_total(self) -> int:
        return self.unit_price * self.quantity

    @property
    def tax_rate(self) -> int:
        return self.variant.product.tax_rate if self.available else 0

    @property
    def is_reduced_rate(self) -> bool:
        return self.available and self.variant.product.is_reduced_rate

    @property
    def image(self) -> ProductImage | None:
        if not self.available:
            return None
        images = self.variant.product.images.all()
        return images[0] if images else None


class Cart:
    def __init__(self, session):
        self.session = session

    def _items(self) -> dict[str, int]:
        raw = self.session.get(SESSION_KEY) or {}
        items: dict[str, int] = {}
        if isinstance(raw, dict):
            for sku, quantity in raw.items():
                if isinstance(sku, str) and isinstance(quantity, int) and not isinstance(quantity, bool) \
                        and quantity > 0:
                    items[sku] = quantity
        return items

    def _save(self, items: dict[str, int]) -> None:
        self.session[SESSION_KEY] = items
        self.session.modified = True

    @property
    def items(self) -> dict[str, int]:
        return self._items()

    @property
    def count(self) -> int:
        return sum(self._items().values())

    def __len__(self) -> int:
        return len(self._items())

    def quantity_of(self, sku: str) -> int:
        return self._items().get(sku, 0)

    def add(self, sku: str, quantity: int) -> int:
        """Add units of ``sku``; the line is capped at the per-line maximum. Returns the new quantity."""
        items = self._items()
        items[sku] = min(items.get(sku, 0) + quantity, MAX_LINE_QUANTITY)
        self._save(items)
        return items[sku]

    def set(self, sku: str, quantity: int) -> None:
        """Set the quantity of ``sku`` (capped at the per-line maximum); 0 or less removes it."""
        items = self._items()
        if quantity <= 0:
            items.pop(sku, None)
        else:
            items[sku] = min(quantity, MAX_LINE_QUANTITY)
        self._save(items)

    def remove(self, sku: str) -> None:
        self.set(sku, 0)

    def clear(self) -> None:
        """Empty the cart after its order was placed; the next checkout gets a new token."""
        self._save({})
        self.session.pop(CHECKOUT_TOKEN_KEY, None)

    def checkout_token(self) -> str:
        """This cart's checkout token, issued on first use. The checkout form carries it and
        ``order_place`` keeps it unique on the order, so the same checkout submitted twice
        (a double click, a retried request, two tabs) places one order."""
        token = self.session.get(CHECKOUT_TOKEN_KEY)
        if not (isinstance(token, str) and CHECKOUT_TOKEN_RE.fullmatch(token)):
            token = secrets.token_urlsafe(24)
            self.session[CHECKOUT_TOKEN_KEY] = token
        return token

    def lines(self) -> list[CartLine]:
        """Cart lines with their variants (one query, plus one for the photos)."""
        items = self._items()
        if not items:
            return []
        variants = {
            variant.sku: variant
            for variant in Variant.objects.filter(sku__in=list(items)).select_related("product").prefetch_related(
                Prefetch("product__images", queryset=ProductImage.objects.order_by("position", "id"))
            )
        }
        return [CartLine(sku=sku, quantity=quantity, variant=variants.get(sku)) for sku, quantity in items.items()]

    def order_lines(self) -> list[LineIn]:
        return [LineIn(sku=sku, quantity=quantity) for sku, quantity in self._items().items()]


def cart_summary(lines: list[CartLine]) -> TaxSummary:
    return summarise((line.line_total, line.tax_rate) for line in lines if line.available)
