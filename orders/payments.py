"""Money on an order: the one tender step (``payment_take``) that the till, the pickup desk's
hand-over and the API call, and the balance every refund is checked against.

Payments are rows (``orders.Payment``), append-only: Σ amount over an order is what the
customer has paid net of refunds. Omnishop never sees card data: a card or QR payment is taken
on the store's terminal and recorded as a tender with its slip number.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from kernel import roles
from kernel.db import retry_on_conflict
from kernel.models import Location
from kernel.templatetags.money import yen

from .errors import InvalidOrder
from .models import (
    COUNTER_TENDERS,
    Order,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    RefundMethod,
    RegisterSession,
    StoreCreditEntry,
    StoreCreditKind,
    TenderKind,
)


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
    """What the customer has paid on the order, net of refunds (``order_money``; one query)."""
    return order_money(order).net


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
    if not errors:
        errors = _check_store_credit(order, tenders)
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
    for row in rows:
        row.save()
        if row.kind == TenderKind.STORE_CREDIT:
            StoreCreditEntry.objects.create(customer_id=order.customer_id, amount=-row.amount,
                                            kind=StoreCreditKind.SPENT, order=order, payment=row,
                                            acting_user=acting_user)
    order.payment_status = PaymentStatus.PAID
    order.save(update_fields=["payment_status"])
    return PaymentTaken(payments=rows, change=given)


# --- store credit --------------------------------------------------------------------------

def store_credit_balance(customer) -> int:
    """What the customer has in store credit now: the sum of their ledger (one query)."""
    if customer is None:
        return 0
    customer_id = getattr(customer, "pk", customer)
    return StoreCreditEntry.objects.filter(customer_id=customer_id).aggregate(total=Sum("amount"))["total"] or 0


def _lock_customer(customer_id: int) -> None:
    """Serialise every change of one customer's store credit (the balance is read, then written)."""
    from customers.models import Customer

    Customer.objects.select_for_update().filter(pk=customer_id).values_list("pk", flat=True).first()


def _check_store_credit(order: Order, tenders: Sequence[TenderIn]) -> dict[str, list[str]]:
    """Store credit tenders need the order's customer and their balance to cover them."""
    indexes = [index for index, tender in enumerate(tenders) if tender.kind == TenderKind.STORE_CREDIT]
    if not indexes:
        return {}
    if order.customer_id is None:
        return {f"tenders.{indexes[0]}.kind": [_("Store credit belongs to a customer: attach the customer to the "
                                                 "sale first.")]}
    _lock_customer(order.customer_id)
    balance = store_credit_balance(order.customer_id)
    wanted = sum(tenders[index].amount for index in indexes)
    if wanted > balance:
        return {f"tenders.{indexes[-1]}.amount": [
            _("Not enough store credit: the customer has %(balance)s, %(wanted)s was asked.")
            % {"balance": yen(balance), "wanted": yen(wanted)}]}
    return {}


# --- what was paid: the one rule -----------------------------------------------------------

# The tender an order paid outside the till (online, on a marketplace, at hand-over before the
# tender step existed) was paid with, from its payment method.
_IMPLIED_TENDER = {
    PaymentMethod.CARD: TenderKind.ONLINE,
    PaymentMethod.CASH: TenderKind.CASH,
    PaymentMethod.PAY_IN_STORE: TenderKind.CASH,
    PaymentMethod.CASH_ON_DELIVERY: TenderKind.CASH_ON_DELIVERY,
    PaymentMethod.MARKETPLACE: TenderKind.MARKETPLACE,
}


@dataclass(frozen=True)
class OrderMoney:
    """The money on one order, by the one rule every reader uses (``order_money``)."""

    paid: int  # taken: every positive payment, or the implied payment
    refunded: int  # given back (and value carried over to an exchange): the negative payments, as a positive sum
    tenders: dict[str, int]  # still refundable per tender kind, in the order they were taken; kinds at 0 left out
    implied: Payment | None  # the payment an order marked paid without tender rows stands for (unsaved)

    @property
    def net(self) -> int:
        """What the customer has paid, net of refunds: the most a refund may give back."""
        return max(self.paid - self.refunded, 0)

    def due_back(self, order: Order) -> int:
        """What the shop owes back now: the net paid above what the order still comes to (its
        total; nothing once the whole order is cancelled)."""
        owed = 0 if order.status == OrderStatus.CANCELLED else order.total
        return max(self.net - owed, 0)


def _implied_kind(order: Order) -> str:
    kind = _IMPLIED_TENDER.get(order.payment_method, TenderKind.ONLINE)
    if kind == TenderKind.ONLINE and order.channel.kind == "pos":
        kind = TenderKind.CARD
    return kind


def order_money(order: Order, payments: Sequence[Payment] | None = None) -> OrderMoney:
    """What was paid on ``order``, what was given back and what is refundable per tender: the one
    rule behind the refund due, the refund cap, the returns desk and the API.

    The order's Payment rows are the record (positive: taken; negative: refunds and value carried
    to an exchange). An order marked paid with no Payment row at all (paid online, on a
    marketplace, imported, or paid before the tender step existed) counts its total as one
    *implied* payment in the tender of its payment method: the row it would have been, which
    the first change of money on it (``payment_record_implied``) writes for real. ``payments``:
    the order's rows when already loaded (a prefetch); else one query."""
    if payments is None:
        prefetched = getattr(order, "_prefetched_objects_cache", {}).get("payments")
        payments = list(prefetched) if prefetched is not None else list(
            Payment.objects.filter(order=order).order_by("created_at", "id"))
    else:
        payments = list(payments)
    if not payments:
        if order.payment_status == PaymentStatus.PAID and order.total > 0:
            implied = Payment(order=order, kind=_implied_kind(order), amount=order.total, reference=order.number)
            return OrderMoney(paid=order.total, refunded=0, tenders={implied.kind: order.total}, implied=implied)
        return OrderMoney(paid=0, refunded=0, tenders={}, implied=None)
    left: dict[str, int] = {}  # per tender, in the order taken: what it took less what went back from it
    paid = refunded = 0
    for payment in sorted(payments, key=lambda p: (p.created_at, p.pk or 0)):
        if payment.amount > 0:
            paid += payment.amount
            left[payment.kind] = left.get(payment.kind, 0) + payment.amount
            continue
        refunded -= payment.amount
        # a refund comes off its own tender first, then (store credit, value carried to an
        # exchange, a card refunded in cash) off the others, most recent first
        out = -payment.amount
        for kind in [payment.kind, *reversed([k for k in left if k != payment.kind])]:
            take = min(left.get(kind, 0), out)
            if take > 0:
                left[kind] -= take
                out -= take
    return OrderMoney(paid=paid, refunded=refunded, implied=None,
                      tenders={kind: amount for kind, amount in left.items() if amount > 0})


def payment_record_implied(order: Order) -> Payment | None:
    """Write the implied payment of an order marked paid without tender rows (``order_money``) as
    the row it stands for, before anything changes its money or its total (a refund, a partial
    cancel): afterwards the rows alone tell what was paid. Call it with the order row locked."""
    implied = order_money(order).implied
    if implied is not None:
        implied.save()
    return implied


def order_tenders(order: Order) -> dict[str, int]:
    """What is still refundable per tender (``order_money``)."""
    return order_money(order).tenders


def order_refundable(order: Order) -> int:
    """The most that can still be refunded on the order: what was paid, net of refunds (``order_money``)."""
    return order_money(order).net


def order_refund_due(order: Order) -> int:
    """What the shop owes the customer back on ``order`` now (``OrderMoney.due_back``): a partial
    cancel lowers the total and a cancel of a paid order the whole of it; a refund brings it back
    to 0. One query, none when the order's payments are prefetched (the API's lists)."""
    return order_money(order).due_back(order)


# Refunds to the original payment go back to the most recent tenders first; value carried over
# from an exchange and store credit go back to store credit.
_TO_STORE_CREDIT = (TenderKind.STORE_CREDIT, TenderKind.EXCHANGE)


def _refund_plan(order: Order, tenders: dict[str, int], amount: int, method: str) -> list[tuple[str, int]]:
    """(tender, amount) pairs a refund of ``amount`` gives back: all as store credit, or to the
    tenders still refundable, most recent first, never more than each has left."""
    if method == RefundMethod.STORE_CREDIT:
        return [(TenderKind.STORE_CREDIT, amount)]
    plan, left = [], amount
    for kind in reversed(list(tenders)):
        take = min(tenders[kind], left)
        if take > 0:
            plan.append((TenderKind.STORE_CREDIT if kind in _TO_STORE_CREDIT and order.customer_id else
                         TenderKind.CASH if kind in _TO_STORE_CREDIT else kind, take))
            left -= take
    return plan


@retry_on_conflict
@transaction.atomic
def payment_refund(*, order: Order, amount: int, method: str = RefundMethod.ORIGINAL, reference: str = "",
                   location: Location | None = None, register_session: RegisterSession | None = None,
                   acting_user=None) -> list[Payment]:
    """Give money back on the order: negative Payment rows, either to the tenders it was paid
    with (most recent first, never more than each tender took, net of earlier refunds) or as
    store credit (one row, and the same amount added to the customer's store credit ledger).
    Never more than was paid in all: raise InvalidOrder naming ``amount`` (nothing written).
    ``register_session``: the till the refund is given at (it must be open, at a store
    ``acting_user`` acts for: PermissionDenied otherwise). Cash given back leaves a drawer, so a
    refund with any cash in it needs one (InvalidOrder naming ``register``, nothing written): the
    session's day report and closing count then include it. An order paid outside the till
    first gets its payment recorded as the row it would have been. The order is marked refunded
    once nothing paid is left."""
    order = Order.objects.select_for_update(of=("self",)).select_related("channel").get(pk=order.pk)
    errors: dict[str, list[str]] = {}
    if method not in RefundMethod.values:
        errors["method"] = [_("Choose how to refund: to the original payment or as store credit.")]
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        errors["amount"] = [_("Enter an amount above zero.")]
    if len(reference) > Payment._meta.get_field("reference").max_length:
        errors["reference"] = [_("At most 60 characters.")]
    if errors:
        raise InvalidOrder(errors)
    money = order_money(order)
    refundable = money.net
    if amount > refundable:
        raise InvalidOrder({"amount": [
            _("At most %(refundable)s can be refunded on order %(number)s: what was paid, net of refunds.")
            % {"refundable": yen(refundable), "number": order.number}]})
    if method == RefundMethod.STORE_CREDIT and order.customer_id is None:
        raise InvalidOrder({"method": [_("Store credit belongs to a customer: this order has none.")]})
    if register_session is not None:
        # locked like payment_take's: a register being closed counts this refund or refuses it
        register_session = RegisterSession.objects.select_for_update(of=("self",)).select_related(
            "register__location").get(pk=register_session.pk)
        if acting_user is not None and not roles.can_act_at(acting_user, register_session.register.location):
            raise PermissionDenied(_("You can only give money back at your own store's registers."))
        if not register_session.is_open:
            raise InvalidOrder({"register": [_("This register is closed: open it before giving money back.")]})
        location = register_session.register.location
    plan = _refund_plan(order, money.tenders, amount, method)
    if register_session is None and any(kind == TenderKind.CASH for kind, _part in plan):
        raise InvalidOrder({"register": [
            _("%(amount)s of this refund is cash: choose the open register whose drawer it leaves, or refund "
              "as store credit.") % {"amount": yen(sum(part for kind, part in plan if kind == TenderKind.CASH))}]})
    if money.implied is not None:
        money.implied.save()
    rows = []
    for kind, part in plan:
        row = Payment.objects.create(
            order=order, kind=kind, amount=-part, reference=reference, location=location,
            register_session=register_session, acting_user=acting_user)
        if kind == TenderKind.STORE_CREDIT:
            _lock_customer(order.customer_id)
            StoreCreditEntry.objects.create(customer_id=order.customer_id, amount=part, kind=StoreCreditKind.REFUND,
                                            order=order, payment=row, note=reference, acting_user=acting_user)
        rows.append(row)
    if order_money(order).net <= 0:
        order.payment_status = PaymentStatus.REFUNDED
        order.save(update_fields=["payment_status"])
    return rows
