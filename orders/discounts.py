"""The one discount hook of the orders domain.

Checkout, the API and the till place orders through ``orders.services.order_place``; it asks the
discount providers what applies to the order (``discounts_evaluate``) and, inside its transaction
once the order rows exist, lets them record what was used (``discounts_commit``). Orders knows no
offer, coupon or campaign: a higher app declares its providers on its ``AppConfig``::

    class CampaignsConfig(AppConfig):
        discount_providers = ["campaigns.offers.OfferDiscounts"]

and each provider is a class with a ``name`` and the two methods of ``DiscountProvider``.

Rules every provider and caller can rely on:

- money is whole yen, tax included, like every price of the shop;
- a discount on several lines is spread over them in proportion to their amounts, in whole yen,
  by the largest remainder (``discount_spread``, deterministic: ties go to the earlier line);
- the discounts of one line never exceed the line's amount, whatever the providers return
  (``discounts_evaluate`` caps them, in the order the providers and their lines come);
- consumption tax is computed per rate on the discounted amounts (``orders.tax.summarise``):
  the qualified invoice's 税率ごとに区分した対価の額 is after discount;
- codes are compared normalised (``code_normalise``): NFKC, upper case, no spaces or dashes;
- a code typed but refused refuses the order: ``order_place`` raises ``DiscountRefused``
  naming the field ``codes`` with each code's message, and writes nothing.
"""

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol, runtime_checkable

from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from kernel.registry import declarations

from .errors import DiscountRefused

__all__ = [
    "MAX_CODES",
    "REFUSAL_REASONS",
    "AppliedOffer",
    "DiscountContext",
    "DiscountProvider",
    "DiscountRefused",
    "DiscountResult",
    "LineDiscount",
    "PricedLine",
    "RefusedCode",
    "code_normalise",
    "codes_normalise",
    "discount_providers",
    "discount_spread",
    "discounts_commit",
    "discounts_evaluate",
]


# Why a code was refused: the machine-readable ``reason`` of a RefusedCode (and of the API's 400).
REFUSAL_REASONS = ("unknown", "expired", "not_started", "exhausted", "already_used", "wrong_channel", "min_spend",
                   "not_eligible", "budget_spent", "customer_limit")

# The most codes one order may carry: far above any real use, low enough to bound the work.
MAX_CODES = 10

# Removed from a typed code: spaces and every dash a keyboard or an IME gives ("SUMMER-10",
# "ＳＵＭＭＥＲ－１０", "summer ー 10" are one code).
_CODE_SEPARATORS = str.maketrans("", "", " \t\r\n-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70_")


def code_normalise(code: str) -> str:
    """A code as typed -> the code compared: NFKC (full-width letters and digits), upper case,
    without spaces, dashes or underscores."""
    return unicodedata.normalize("NFKC", str(code or "")).upper().translate(_CODE_SEPARATORS)


def codes_normalise(codes: Iterable[str]) -> tuple[str, ...]:
    """Codes normalised, blanks dropped, each once, in the order first typed."""
    seen: dict[str, None] = {}
    for code in codes or ():
        normal = code_normalise(code)
        if normal:
            seen.setdefault(normal, None)
    return tuple(seen)


# --- the contract --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PricedLine:
    """One cart or order line before discounts. ``unit_price`` is yen, tax included."""

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
    """Who buys, where and when. ``codes`` are normalised (``code_normalise``); ``subtotal`` is
    the sum of the line amounts before discounts; ``shipping_fee`` the fee before any discount
    (0 for a pickup)."""

    customer_id: int | None
    channel_id: int
    channel_kind: str  # kernel.models.ChannelKind value
    location_id: int | None
    codes: tuple[str, ...]
    at: datetime
    subtotal: int
    shipping_fee: int


@dataclass(frozen=True)
class LineDiscount:
    """``amount`` yen (tax incl., > 0) taken off the line of ``sku``; ``reason`` is shown on the
    order line and the receipt."""

    sku: str
    amount: int
    reason: str


@dataclass(frozen=True)
class AppliedOffer:
    provider: str
    offer_id: int
    code: str  # normalised; "" for an offer that applies without a code
    label: str
    amount: int  # what the offer takes off in all (its line discounts and shipping discount)
    free_shipping: bool = False
    campaign_id: int | None = None


@dataclass(frozen=True)
class RefusedCode:
    code: str
    reason: str  # one of REFUSAL_REASONS
    message: str  # for the customer, translated


@dataclass
class DiscountResult:
    line_discounts: list[LineDiscount] = field(default_factory=list)
    applied: list[AppliedOffer] = field(default_factory=list)
    refused: list[RefusedCode] = field(default_factory=list)
    shipping_discount: int = 0

    @property
    def lines_total(self) -> int:
        """Yen taken off the lines."""
        return sum(d.amount for d in self.line_discounts)

    @property
    def total(self) -> int:
        """Yen taken off the order: the lines' discounts and the shipping discount."""
        return self.lines_total + self.shipping_discount

    def per_sku(self) -> dict[str, int]:
        """Discount per SKU, summed over the offers."""
        sums: dict[str, int] = {}
        for d in self.line_discounts:
            sums[d.sku] = sums.get(d.sku, 0) + d.amount
        return sums

    def reasons(self) -> dict[str, str]:
        """The reasons shown on each SKU's line, joined when several offers apply to it."""
        found: dict[str, list[str]] = {}
        for d in self.line_discounts:
            reasons = found.setdefault(d.sku, [])
            if d.reason not in reasons:
                reasons.append(d.reason)
        return {sku: " / ".join(reasons) for sku, reasons in found.items()}

    @property
    def applied_codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.code for a in self.applied if a.code))

    def merge(self, other: "DiscountResult") -> "DiscountResult":
        """Both results in one (a new result; neither is changed)."""
        return DiscountResult(line_discounts=[*self.line_discounts, *other.line_discounts],
                              applied=[*self.applied, *other.applied], refused=[*self.refused, *other.refused],
                              shipping_discount=self.shipping_discount + other.shipping_discount)


@runtime_checkable
class DiscountProvider(Protocol):
    name: str

    def evaluate(self, *, lines: list[PricedLine], context: DiscountContext) -> DiscountResult:
        """What would apply now. A pure read: never writes."""
        ...

    def commit(self, *, order_id: int, order_number: str, lines: list[PricedLine], context: DiscountContext,
               result: DiscountResult) -> None:
        """Inside ``order_place``'s transaction, after the order rows exist: record redemptions and
        usage with race-safe conditional updates; raise ``DiscountRefused`` when a code became
        unusable meanwhile (the whole order rolls back). ``result.applied`` holds this provider's
        own offers only; ``result.line_discounts`` and ``shipping_discount`` are the order's."""
        ...


# --- spreading a discount over lines -----------------------------------------------------------

def discount_spread(*, amount: int, lines: Sequence[PricedLine], reason: str) -> list[LineDiscount]:
    """``amount`` yen spread over ``lines`` in proportion to their amounts, in whole yen: each line
    gets the floor of its share, and the yen left go one each to the lines with the largest
    remainders (ties: the earlier line). Capped at the lines' total; lines getting 0 are left out."""
    amounts = [line.amount for line in lines]
    base = sum(amounts)
    amount = max(0, min(int(amount), base))
    if amount == 0:
        return []
    shares = [amount * a // base for a in amounts]
    remainders = [amount * a % base for a in amounts]
    left = amount - sum(shares)
    for index in sorted(range(len(lines)), key=lambda i: (-remainders[i], i))[:left]:
        shares[index] += 1
    return [LineDiscount(sku=line.sku, amount=share, reason=reason)
            for line, share in zip(lines, shares, strict=True) if share > 0]


# --- the providers -------------------------------------------------------------------------------

def discount_providers() -> list[DiscountProvider]:
    """One instance of every provider the installed apps declare (``AppConfig.discount_providers``:
    dotted class paths), in INSTALLED_APPS order."""
    providers = []
    for _label, paths in declarations("discount_providers"):
        for dotted in paths:
            providers.append(import_string(dotted)())
    return providers


def _unknown(code: str) -> RefusedCode:
    return RefusedCode(code=code, reason="unknown", message=_("The code %(code)s does not exist.") % {"code": code})


def discounts_evaluate(*, lines: list[PricedLine], context: DiscountContext,
                       providers: Sequence[DiscountProvider] | None = None) -> DiscountResult:
    """What every provider would take off, merged:

    - a line's discounts are capped at its amount (the providers' later discounts are cut), and
      the shipping discount at the shipping fee;
    - a code one provider applies is not refused because another does not know it; a code no
      provider applies or refuses is refused as ``unknown``; a code several providers refuse
      keeps the most telling reason (anything over ``unknown``);
    - more than ``MAX_CODES`` codes: the rest are refused unread."""
    providers = discount_providers() if providers is None else providers
    codes = context.codes[:MAX_CODES]
    if len(context.codes) > MAX_CODES:
        context = replace(context, codes=codes)
    merged = DiscountResult()
    for provider in providers:
        merged = merged.merge(provider.evaluate(lines=lines, context=context))

    room: dict[str, int] = {}
    for line in lines:
        room[line.sku] = room.get(line.sku, 0) + line.amount
    capped = []
    for d in merged.line_discounts:
        amount = min(d.amount, room.get(d.sku, 0))
        if amount > 0:
            room[d.sku] -= amount
            capped.append(LineDiscount(sku=d.sku, amount=amount, reason=d.reason))

    applied_codes = set(merged.applied_codes)
    refused: dict[str, RefusedCode] = {}
    for r in merged.refused:
        code = code_normalise(r.code)
        if code in applied_codes:
            continue
        if code not in refused or refused[code].reason == "unknown":
            # an unknown code reads the same whichever provider did not know it
            refused[code] = _unknown(code) if r.reason == "unknown" else RefusedCode(
                code=code, reason=r.reason, message=r.message)
    for code in codes:
        if code not in applied_codes and code not in refused:
            refused[code] = _unknown(code)
    too_many = _("At most %(n)s codes per order.") % {"n": MAX_CODES}
    for code in context.codes[MAX_CODES:]:
        refused[code] = RefusedCode(code=code, reason="not_eligible", message=too_many)
    order = {code: index for index, code in enumerate(context.codes)}
    return DiscountResult(
        line_discounts=capped, applied=merged.applied,
        refused=sorted(refused.values(), key=lambda r: order.get(r.code, len(order))),
        shipping_discount=max(0, min(merged.shipping_discount, context.shipping_fee)))


def discounts_commit(*, order_id: int, order_number: str, lines: list[PricedLine], context: DiscountContext,
                     result: DiscountResult, providers: Sequence[DiscountProvider] | None = None) -> None:
    """Let each provider whose offers apply record them (inside the caller's transaction). A
    provider raising ``DiscountRefused`` refuses the order: the caller's transaction rolls back."""
    providers = discount_providers() if providers is None else providers
    for provider in providers:
        mine = [a for a in result.applied if a.provider == provider.name]
        if not mine:
            continue
        provider.commit(order_id=order_id, order_number=order_number, lines=lines, context=context,
                        result=DiscountResult(line_discounts=result.line_discounts, applied=mine, refused=[],
                                              shipping_discount=result.shipping_discount))
