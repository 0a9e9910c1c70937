"""Japanese consumption tax on documents (適格簡易請求書).

Prices are tax-inclusive (総額表示). The tax of a document is computed once per rate
from the tax-inclusive total of that rate and rounded down, as the qualified invoice
rules require (one rounding per rate per document, never per line).

The amounts summed are what the customer pays: each line after its discounts
(``OrderLine.amount``, ``orders.discounts``), and the delivery fee after any free-shipping
offer, at the standard rate. The invoice's 税率ごとに区分した対価の額 is therefore after
discount, per rate.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from kernel.japan import REDUCED_TAX_RATE, STANDARD_TAX_RATE


@dataclass(frozen=True)
class RateTotal:
    rate: int
    total: int  # tax-inclusive
    tax: int

    @property
    def net(self) -> int:
        return self.total - self.tax

    @property
    def is_reduced(self) -> bool:
        return self.rate == REDUCED_TAX_RATE


@dataclass(frozen=True)
class TaxSummary:
    total: int
    by_rate: list[RateTotal]

    @property
    def tax(self) -> int:
        return sum(r.tax for r in self.by_rate)

    @property
    def has_reduced(self) -> bool:
        return any(r.is_reduced for r in self.by_rate)

    @property
    def reduced_rate(self) -> int | None:
        """The reduced rate the document marks with ※ (None when it has no such items)."""
        return next((r.rate for r in self.by_rate if r.is_reduced), None)


def tax_included_in(total: int, rate: int) -> int:
    """Tax contained in a tax-inclusive amount, rounded down: 1,100 at 10 % -> 100."""
    return total * rate // (100 + rate)


def summarise(lines: Iterable[tuple[int, int]]) -> TaxSummary:
    """``lines`` are (tax-inclusive amount, rate) pairs."""
    totals: dict[int, int] = {}
    for amount, rate in lines:
        totals[rate] = totals.get(rate, 0) + amount
    by_rate = [RateTotal(rate=rate, total=total, tax=tax_included_in(total, rate))
               for rate, total in sorted(totals.items(), reverse=True)]
    return TaxSummary(total=sum(totals.values()), by_rate=by_rate)


def summarise_document(*, lines: Iterable[tuple[int, int]], shipping: int = 0) -> TaxSummary:
    """The tax summary of an order or cart: ``lines`` are (amount after discounts, rate) pairs;
    ``shipping`` is the delivery fee charged (after any shipping discount), standard-rated."""
    pairs = list(lines)
    if shipping:
        pairs.append((shipping, STANDARD_TAX_RATE))
    return summarise(pairs)
