"""Money on an order: the one tender step (``payment_take``) that the till, the pickup desk's
hand-over and the API call, and the balance every refund is checked against.

Payments are rows (``orders.Payment``), append-only: Σ amount over an order is what the
customer has paid net of refunds. Omnishop never sees card data: a card or QR payment is taken
on the store's terminal and recorded as a tender with its slip number.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from kernel.db import retry_on_conflict
from kernel.models import Location
from kernel.templatetags.money import yen

from .errors import InvalidOrder
from .models import COUNTER_TENDERS, Order, Payment, PaymentStatus, RegisterSession, TenderKind


@dataclass(frozen=True)
class TenderIn:
    """One tender as the till takes it. For cash, ``amount`` is what the customer handed over;
    the change is worked out (only cash gives change)."""

    kind: str
    amount: int
    reference: str = ""


@dataclass(frozen=True)
class PaymentTaken:
    payments: list[Payment]
    change: int  # cash to give back


def order_paid(order: Order) -> int:
    """What the customer has paid on the order, net of refunds (one query)."""
    return Payment.objects.filter(order=order).aggregate(total=Sum("amount"))["total"] or 0


def order_amount_due(order: Order) -> int:
    return max(order.total - order_paid(order), 0)


def _validate_tenders(tenders: Sequence[TenderIn], due: int) -> tuple[dict[str, list[str]], int]:
    """The errors, keyed ``tenders.<i>.<field>`` like the API's, and the cash change."""
    errors: dict[str, list[str]] = {}
    if not tenders:
        errors["tenders"] = [_("Add at least one tender.")]
        return errors, 0
    for index, tender in enumerate(tenders):
        if tender.kind not in COUNTER_TENDERS:
            errors[f"tenders.{index}.kind"] = [_("Choose a tender the till takes.")]
        if not isinstance(tender.amount, int) or tender.amount <= 0:
            errors[f"tenders.{index}.amount"] = [_("Enter an amount above zero.")]
        if len(tender.reference) > 60:
            errors[f"tenders.{index}.reference"] = [_("At most 60 characters.")]
        if tender.kind == TenderKind.GIFT_VOUCHER and not tender.reference.strip():
            errors[f"tenders.{index}.reference"] = [_("Enter the voucher's number.")]
    if errors:
        return errors, 0
    total = sum(tender.amount for tender in tenders)
    cash = sum(tender.amount for tender in tenders if tender.kind == TenderKind.CASH)
    if total < due:
        errors["tenders"] = [_("The tenders do not cover the total: %(short)s short.") % {"short": yen(due - total)}]
        return errors, 0
    change = total - due
    if change > cash:
        # Only cash gives change: a card, a QR payment or a voucher never takes more than is due.
        errors["tenders"] = [_("Only cash gives change: the other tenders come to more than the %(due)s due.")
                             % {"due": yen(due)}]
        return errors, 0
    return errors, change


@retry_on_conflict
@transaction.atomic
def payment_take(*, order: Order, tenders: Sequence[TenderIn], location: Location | None = None,
                 register_session: RegisterSession | None = None, acting_user=None) -> PaymentTaken:
    """Take what is due on the order with one or more tenders (split tender): the tenders must
    cover it, only cash gives change. Marks the order paid. The order row is locked, so two
    tills taking the same order's money cannot both succeed."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    due = order.total - order_paid(order)
    if due <= 0:
        raise InvalidOrder({"tenders": [_("Order %(number)s is already paid.") % {"number": order.number}]})
    if register_session is not None:
        # locked: a register being closed (orders.registers.register_close) counts this payment or refuses it
        register_session = RegisterSession.objects.select_for_update(of=("self",)).select_related("register").get(
            pk=register_session.pk)
        if not register_session.is_open:
            raise InvalidOrder({"register": [_("This register is closed: open it before taking money.")]})
        location = location or register_session.register.location
    errors, change = _validate_tenders(tenders, due)
    if errors:
        raise InvalidOrder(errors)
    rows = []
    given = change
    for tender in tenders:
        given_back = min(change, tender.amount) if tender.kind == TenderKind.CASH else 0
        change -= given_back
        kept = tender.amount - given_back
        if kept == 0:  # a cash tender wholly given back as change (two cash rows, rare)
            continue
        rows.append(Payment(order=order, kind=tender.kind, amount=kept, reference=tender.reference.strip(),
                            tendered=tender.amount if tender.kind == TenderKind.CASH else None,
                            change=given_back, location=location, register_session=register_session,
                            acting_user=acting_user))
    Payment.objects.bulk_create(rows)
    order.payment_status = PaymentStatus.PAID
    order.save(update_fields=["payment_status"])
    return PaymentTaken(payments=rows, change=given)
