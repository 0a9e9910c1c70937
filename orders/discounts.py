"""The discount hook's contract (the shared brief "hook.md"): the dataclasses a discount provider
reads and returns, and the error its commit raises. This copy on the ``offers`` branch holds the
contract's types only; the orders-hook branch owns this module (providers registry,
``discounts_evaluate``/``discounts_commit`` and the order_place changes) and replaces it."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from kernel.errors import DomainError


@dataclass(frozen=True)
class PricedLine:
    """One cart/order line before discounts; ``unit_price`` is yen, tax included."""

    sku: str
    variant_id: int
    product_id: int
    category: str
    quantity: int
    unit_price: int
    tax_rate: int

    @property
    def amount(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class DiscountContext:
    customer_id: int | None
    channel_id: int
    channel_kind: str
    location_id: int | None
    codes: tuple[str, ...]
    at: datetime
    subtotal: int
    shipping_fee: int


@dataclass(frozen=True)
class LineDiscount:
    sku: str
    amount: int
    reason: str


@dataclass(frozen=True)
class AppliedOffer:
    provider: str
    offer_id: int
    code: str
    label: str
    amount: int
    free_shipping: bool
    campaign_id: int | None


@dataclass(frozen=True)
class RefusedCode:
    code: str
    reason: str
    message: str


@dataclass
class DiscountResult:
    line_discounts: list[LineDiscount] = field(default_factory=list)
    applied: list[AppliedOffer] = field(default_factory=list)
    refused: list[RefusedCode] = field(default_factory=list)
    shipping_discount: int = 0

    @property
    def total(self) -> int:
        return sum(d.amount for d in self.line_discounts) + self.shipping_discount

    def per_sku(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for discount in self.line_discounts:
            out[discount.sku] = out.get(discount.sku, 0) + discount.amount
        return out

    def merge(self, other: "DiscountResult") -> "DiscountResult":
        return DiscountResult(line_discounts=[*self.line_discounts, *other.line_discounts],
                              applied=[*self.applied, *other.applied], refused=[*self.refused, *other.refused],
                              shipping_discount=self.shipping_discount + other.shipping_discount)


class DiscountProvider(Protocol):
    name: str

    def evaluate(self, *, lines: list[PricedLine], context: DiscountContext) -> DiscountResult: ...

    def commit(self, *, order_id: int, order_number: str, lines: list[PricedLine], context: DiscountContext,
               result: DiscountResult) -> None: ...


class DiscountRefused(DomainError):
    """A code became unusable between evaluation and the order's commit: the order rolls back."""

    code = "discount_refused"
    http_status = 400

    def __init__(self, refused: list[RefusedCode]):
        self.refused = list(refused)
        super().__init__("; ".join(r.message for r in self.refused))

    def payload(self) -> dict:
        return {"errors": {"codes": [r.message for r in self.refused]}}
