"""Returns and exchanges: any order, from any channel, back at any store that takes returns or
by mail (BORIS), and refunds.

One function per business action, each atomic and raising InvalidOrder (field errors) with
nothing written on bad input:

- ``return_request``: the customer starts a return from their account (lines, reason, a store
  or by mail) and gets a return code the store scans;
- ``return_receive``: the store (or the warehouse, for mail) receives a requested return:
  checks each line's quantity, condition and disposition; stock comes back through the ledger;
- ``return_create``: staff take a return at the returns desk there and then (received at once),
  optionally with an exchange for another size or colour;
- ``return_refund``: the received items' value goes back to the original tenders or as store
  credit (``orders.payments.payment_refund``);
- ``order_refund``: a goodwill refund without a return, capped at what was paid.

The order row is locked by each, so two desks cannot return the same units twice. The policy
window is per product (``Product.return_days``) or the shop's default
(``settings.RETURN_WINDOW_DAYS``), counted from delivery (the fulfilment's close) or purchase.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import EventKind
from customers.services import event_record
from inventory import services as inventory
from kernel import channels
from kernel.audit import audit_record
from kernel.db import retry_on_conflict
from kernel.events import publish
from kernel.models import Location, LocationKind
from kernel.subjects import order_subject
from kernel.templatetags.money import yen

from . import domain_events, services
from .errors import InvalidOrder, InvalidTransition, OutOfStock
from .models import (
    Fulfillment,
    FulfillmentMethod,
    FulfillmentStatus,
    Order,
    OrderLine,
    Payment,
    PaymentMethod,
    RefundMethod,
    RegisterSession,
    Return,
    ReturnCondition,
    ReturnDisposition,
    ReturnLine,
    ReturnMethod,
    ReturnReason,
    ReturnStatus,
    TenderKind,
    new_return_code,
    return_number,
)
from .payments import TenderIn, order_refundable, payment_record_implied, payment_refund, payment_take

MAX_NOTE_LENGTH = 200
# Fulfilments whose items the customer has: only these can come back.
DELIVERED = (FulfillmentStatus.COLLECTED, FulfillmentStatus.SHIPPED)
# Returns whose lines count against what is left to return (a cancelled request frees them).
_COUNTING = (ReturnStatus.REQUESTED, ReturnStatus.RECEIVED, ReturnStatus.REFUNDED, ReturnStatus.CLOSED)


@dataclass(frozen=True)
class ReturnLineIn:
    """One order line coming back. ``condition`` and ``disposition`` are for staff receiving it."""

    order_line: int  # OrderLine id
    quantity: int
    reason: str = ReturnReason.OTHER
    condition: str = ""
    disposition: str = ""


@dataclass(frozen=True)
class ExchangeLineIn:
    sku: str
    quantity: int


@dataclass
class ReturnableLine:
    """An order line as the returns desk and the customer's account see it."""

    line: OrderLine
    sold: int
    returned: int  # units on earlier returns (requested or received)
    returned_value: int
    window_ends: datetime | None  # None: not delivered yet
    delivered: bool

    @property
    def remaining(self) -> int:
        return max(self.sold - self.returned, 0)

    @property
    def in_window(self) -> bool:
        return self.window_ends is not None and timezone.now() <= self.window_ends

    @property
    def returnable(self) -> int:
        return self.remaining if self.delivered and self.in_window else 0

    def value_of(self, quantity: int) -> int:
        """What ``quantity`` more units are worth back: their share of the line's amount after
        discounts; the last units returned get what is left, so a whole line refunds exactly."""
        if quantity >= self.remaining:
            return self.line.amount - self.returned_value
        return self.line.amount * quantity // self.sold


def return_window_days(line: OrderLine) -> int:
    days = line.variant.product.return_days
    return settings.RETURN_WINDOW_DAYS if days is None else days


def returnable_lines(order: Order, *, exclude: Return | None = None) -> list[ReturnableLine]:
    """Every line of the order with what is left to return and until when (a fixed number of
    queries). ``exclude``: a return whose own lines do not count (it is being received)."""
    counted = ReturnLine.objects.filter(order_line__order=order, order_return__status__in=_COUNTING)
    if exclude is not None:
        counted = counted.exclude(order_return=exclude)
    done = {row["order_line"]: row for row in counted.values("order_line").annotate(
        units=Sum("quantity"), value=Sum("amount"))}
    lines = (OrderLine.objects.filter(order=order).select_related("fulfillment", "variant__product")
             .order_by("id"))
    rows = []
    for line in lines:
        group = line.fulfillment
        delivered = group.status in DELIVERED
        start = group.closed_at or order.completed_at or order.created_at
        rows.append(ReturnableLine(
            line=line, sold=line.quantity, returned=(done.get(line.pk) or {}).get("units") or 0,
            returned_value=(done.get(line.pk) or {}).get("value") or 0, delivered=delivered,
            window_ends=start + timedelta(days=return_window_days(line)) if delivered else None))
    return rows


def _validate_lines(order: Order, lines: Sequence[ReturnLineIn], *, staff: bool, check_window: bool = True,
                    exclude: Return | None = None, errors: dict[str, list[str]]) -> list[tuple[ReturnableLine,
                                                                                               ReturnLineIn]]:
    """The lines to return with their state; bad lines are reported under ``lines.<i>.<field>``."""
    state = {row.line.pk: row for row in returnable_lines(order, exclude=exclude)}
    if not lines:
        errors.setdefault("lines", []).append(_("Choose at least one item to return."))
        return []
    chosen, seen = [], set()
    for index, item in enumerate(lines):
        prefix = f"lines.{index}."
        row = state.get(item.order_line)
        if row is None:
            errors.setdefault(f"{prefix}order_line", []).append(_("This item is not on order %(number)s.")
                                                                 % {"number": order.number})
            continue
        if item.order_line in seen:
            errors.setdefault(f"{prefix}order_line", []).append(_("This item is listed twice."))
            continue
        seen.add(item.order_line)
        if not isinstance(item.quantity, int) or isinstance(item.quantity, bool) or item.quantity < 1:
            errors.setdefault(f"{prefix}quantity", []).append(_("Quantity must be a whole number of at least 1."))
        elif not row.delivered:
            errors.setdefault(f"{prefix}order_line", []).append(
                _("%(sku)s has not been delivered or collected yet: cancel it instead.") % {"sku": row.line.sku})
        elif item.quantity > row.remaining:
            errors.setdefault(f"{prefix}quantity", []).append(
                _("Only %(left)s of %(sku)s can still be returned: %(sold)s sold, %(returned)s already returned.")
                % {"left": row.remaining, "sku": row.line.sku, "sold": row.sold, "returned": row.returned})
        elif check_window and not row.in_window:
            errors.setdefault(f"{prefix}order_line", []).append(
                _("The return window of %(sku)s ended on %(date)s.")
                % {"sku": row.line.sku, "date": timezone.localtime(row.window_ends).strftime("%Y-%m-%d")})
        if item.reason not in ReturnReason.values:
            errors.setdefault(f"{prefix}reason", []).append(_("Choose a reason."))
        if staff:
            if item.condition not in ReturnCondition.values:
                errors.setdefault(f"{prefix}condition", []).append(_("Choose the item's condition."))
            if item.disposition not in ReturnDisposition.values:
                errors.setdefault(f"{prefix}disposition", []).append(_("Choose what happens to the item."))
            elif item.condition == ReturnCondition.DAMAGED and item.disposition == ReturnDisposition.RESTOCK:
                errors.setdefault(f"{prefix}disposition", []).append(
                    _("A damaged item cannot go back on the shelf: write it off or send it to the warehouse."))
        chosen.append((row, item))
    return chosen


def _check_location(location: Location | None, errors: dict[str, list[str]], *, field: str = "location") -> None:
    if location is None:
        errors.setdefault(field, []).append(_("Choose the store."))
    elif not (location.is_active and location.takes_returns):
        errors.setdefault(field, []).append(_("%(name)s does not take returns.") % {"name": location.name})


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update(of=("self",)).select_related("channel", "customer").get(pk=order.pk)


def _new_return(**fields) -> Return:
    ret = Return.objects.create(number=f"tmp-{uuid.uuid4().hex[:16]}", **fields)  # the pk-based number below
    ret.number = return_number(ret.pk)
    ret.save(update_fields=["number"])
    return ret


def _record(ret: Return, event_type, *, acting_user, refund: int = 0) -> None:
    """The return's customer event (its timeline) and domain event, beside the change."""
    order = ret.order
    data = {"return": ret.number, "status": ret.status, "units": sum(line.quantity for line in ret.lines.all()),
            "refund": refund}
    if order.customer_id:
        event_record(customer=order.customer, kind=EventKind.RETURN, channel=order.channel, location=ret.location,
                     subject=order_subject(order.number, ret.number), data=data)
    publish(event_type, subject=order_subject(order.number), actor=acting_user, payload=domain_events.ReturnChanged(
        return_id=ret.pk, number=ret.number, order_id=order.pk, order_number=order.number,
        customer_id=order.customer_id, status=ret.status, location_id=ret.location_id, refund=refund))


def _queue_receipt(ret: Return) -> None:
    from django_q.tasks import async_task

    pk = ret.pk
    transaction.on_commit(lambda: async_task("orders.tasks.return_email_send", pk, task_name=f"return-email-{pk}",
                                             sync=settings.Q_CLUSTER.get("sync", False)))


# --- the customer starts a return ---------------------------------------------------------------

@retry_on_conflict
@transaction.atomic
def return_request(*, order: Order, lines: Sequence[ReturnLineIn], method: str, location: Location | None = None,
                   note: str = "", acting_user=None) -> Return:
    """The customer starts a return from their account: which items and why, and whether they
    bring it to a store (``location``, one that takes returns) or send it by mail. They get a
    return code (shown as a QR code) that the store scans to receive it."""
    order = _lock(order)
    errors: dict[str, list[str]] = {}
    if method not in ReturnMethod.values:
        errors["method"] = [_("Choose a store or by mail.")]
    elif method == ReturnMethod.STORE:
        _check_location(location, errors)
    chosen = _validate_lines(order, lines, staff=False, errors=errors)
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        errors["note"] = [_("At most %(n)d characters.") % {"n": MAX_NOTE_LENGTH}]
    if errors:
        raise InvalidOrder(errors)
    ret = _new_return(order=order, status=ReturnStatus.REQUESTED, method=method,
                      location=location if method == ReturnMethod.STORE else None, code=_unique_code(),
                      reason=chosen[0][1].reason, note=note, requested_by=acting_user)
    ReturnLine.objects.bulk_create([
        ReturnLine(order_return=ret, order_line=row.line, quantity=item.quantity, reason=item.reason,
                   amount=row.value_of(item.quantity)) for row, item in chosen])
    _record(ret, domain_events.RETURN_REQUESTED, acting_user=acting_user)
    return ret


def _unique_code() -> str:
    while True:
        code = new_return_code()
        if not Return.objects.filter(code=code).exists():
            return code


@retry_on_conflict
@transaction.atomic
def return_cancel(*, order_return: Return, acting_user=None) -> Return:
    """The customer (or staff) calls off a return not received yet: its units can be returned again."""
    ret = Return.objects.select_for_update().get(pk=order_return.pk)
    if ret.status != ReturnStatus.REQUESTED:
        raise InvalidTransition(_("Return %(number)s was already received.") % {"number": ret.number})
    ret.status = ReturnStatus.CANCELLED
    ret.save(update_fields=["status"])
    _record(ret, domain_events.RETURN_CANCELLED, acting_user=acting_user)
    return ret


# --- the store receives it ----------------------------------------------------------------------

def _stock_back(ret: Return, location: Location, acting_user) -> None:
    """Each returned unit comes back into ``location``'s stock through the ledger (reason
    "returned", the return's number as reference); a write-off then takes damaged units out
    again with an adjustment. Units to send to the warehouse stay in stock here, flagged on the
    return line until a transfer takes them."""
    for line in ret.lines.select_related("order_line__variant"):
        variant = line.order_line.variant
        label = str(ReturnDisposition(line.disposition).label)
        inventory.stock_return(variant=variant, location=location, quantity=line.quantity, reference=ret.number,
                               note=label, acting_user=acting_user)
        if line.disposition == ReturnDisposition.WRITE_OFF:
            inventory.stock_adjust(variant=variant, location=location, quantity=-line.quantity, reference=ret.number,
                                   note=label, acting_user=acting_user)


@retry_on_conflict
@transaction.atomic
def return_receive(*, order_return: Return, location: Location, lines: Sequence[ReturnLineIn],
                   refund_method: str = "", register_session: RegisterSession | None = None,
                   acting_user=None) -> Return:
    """Receive a requested return (the store scanned its code, or the parcel came by mail): staff
    check each line (``lines``: the quantity actually brought, at most what was requested; the
    condition and what happens to it). Stock comes back at ``location``. With ``refund_method``
    the refund follows at once (``return_refund``)."""
    ret = Return.objects.select_for_update(of=("self",)).select_related("order").get(pk=order_return.pk)
    if ret.status != ReturnStatus.REQUESTED:
        raise InvalidTransition(_("Return %(number)s is not waiting to be received.") % {"number": ret.number})
    order = _lock(ret.order)
    errors: dict[str, list[str]] = {}
    _check_location(location, errors)
    requested = {line.order_line_id: line for line in ret.lines.all()}
    # the window was checked when the customer asked; what they asked for is what may come back
    chosen = _validate_lines(order, lines, staff=True, check_window=False, exclude=ret, errors=errors)
    for index, (_row, item) in enumerate(chosen):
        asked = requested.get(item.order_line)
        if asked is None:
            errors.setdefault(f"lines.{index}.order_line", []).append(
                _("This item is not on return %(number)s.") % {"number": ret.number})
        elif isinstance(item.quantity, int) and item.quantity > asked.quantity:
            errors.setdefault(f"lines.{index}.quantity", []).append(
                _("The customer asked to return %(n)s.") % {"n": asked.quantity})
    if refund_method and refund_method not in RefundMethod.values:
        errors["refund_method"] = [_("Choose how to refund: to the original payment or as store credit.")]
    if errors:
        raise InvalidOrder(errors)
    ret.lines.all().delete()
    ReturnLine.objects.bulk_create([
        ReturnLine(order_return=ret, order_line=row.line, quantity=item.quantity, reason=item.reason,
                   condition=item.condition, disposition=item.disposition, amount=row.value_of(item.quantity))
        for row, item in chosen])
    ret.status, ret.location, ret.received_by, ret.received_at = (ReturnStatus.RECEIVED, location, acting_user,
                                                                  timezone.now())
    ret.save(update_fields=["status", "location", "received_by", "received_at"])
    _stock_back(ret, location, acting_user)
    _record(ret, domain_events.RETURN_RECEIVED, acting_user=acting_user)
    if refund_method:
        ret = return_refund(order_return=ret, method=refund_method, register_session=register_session,
                            acting_user=acting_user)
    else:
        _queue_receipt(ret)
    return ret


# --- the returns desk: a return taken there and then, or an exchange ----------------------------

@retry_on_conflict
@transaction.atomic
def return_create(*, order: Order, location: Location, lines: Sequence[ReturnLineIn], refund_method: str = "",
                  exchange: Sequence[ExchangeLineIn] = (), hand_over: bool = True,
                  tenders: Sequence[TenderIn] = (), register_session: RegisterSession | None = None,
                  note: str = "", acting_user=None) -> Return:
    """Staff take a return at ``location``'s returns desk: the items are received at once (stock
    back through the ledger) and refunded by ``refund_method``.

    ``exchange``: replacement items (another size or colour) sold in the same step as an order at
    this store's till, handed over at once (``hand_over``) or held for the customer. The returned
    items' value pays for the replacement (tender "exchange"); a difference in the customer's
    favour is refunded by ``refund_method``, one in the shop's favour is taken with ``tenders``
    (``payment_take``). Anything refused (stock, tenders, window, quantities) leaves everything as
    it was."""
    order = _lock(order)
    errors: dict[str, list[str]] = {}
    _check_location(location, errors)
    chosen = _validate_lines(order, lines, staff=True, errors=errors)
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        errors["note"] = [_("At most %(n)d characters.") % {"n": MAX_NOTE_LENGTH}]
    if refund_method not in RefundMethod.values:
        errors["refund_method"] = [_("Choose how to refund: to the original payment or as store credit.")]
    if exchange and location is not None and location.kind not in (LocationKind.STORE, LocationKind.POPUP):
        errors["exchange"] = [_("Exchanges are made at a store's till.")]
    if errors:
        raise InvalidOrder(errors)
    ret = _new_return(order=order, status=ReturnStatus.RECEIVED, method=ReturnMethod.STORE, location=location,
                      reason=chosen[0][1].reason, note=note, requested_by=acting_user, received_by=acting_user,
                      received_at=timezone.now())
    ReturnLine.objects.bulk_create([
        ReturnLine(order_return=ret, order_line=row.line, quantity=item.quantity, reason=item.reason,
                   condition=item.condition, disposition=item.disposition, amount=row.value_of(item.quantity))
        for row, item in chosen])
    _stock_back(ret, location, acting_user)
    _record(ret, domain_events.RETURN_RECEIVED, acting_user=acting_user)
    credit = 0
    if exchange:
        credit = _exchange(ret, order=order, location=location, exchange=exchange, hand_over=hand_over,
                           tenders=tenders, register_session=register_session, acting_user=acting_user)
    return return_refund(order_return=ret, method=refund_method, register_session=register_session,
                         acting_user=acting_user, already_settled=credit)


def _exchange(ret: Return, *, order: Order, location: Location, exchange: Sequence[ExchangeLineIn], hand_over: bool,
              tenders: Sequence[TenderIn], register_session, acting_user) -> int:
    """Sell the replacement at ``location``'s till and pay for it with the returned value; returns
    the value used (taken off the refund)."""
    try:
        replacement = services.order_place(
            channel=channels.pos_channel(location), customer=order.customer,
            lines=[services.LineIn(sku=item.sku, quantity=item.quantity) for item in exchange],
            fulfillment=services.FulfillmentIn(method=FulfillmentMethod.PICKUP, location=location.code),
            contact=services.ContactIn(name=order.name, phone=order.phone if order.customer_id is None else ""),
            payment_method=PaymentMethod.PAY_IN_STORE, acting_user=acting_user)
    except InvalidOrder as exc:
        raise InvalidOrder({f"exchange.{key.removeprefix('lines.')}" if key.startswith("lines.") else
                            "exchange" if key in ("lines", "fulfillment.location") else key: messages
                            for key, messages in exc.errors.items()}) from exc
    except OutOfStock as exc:
        raise InvalidOrder({"exchange": [
            _("Not enough %(sku)s at %(location)s for the exchange: %(available)s available.")
            % {"sku": line.sku, "location": location.name, "available": line.available} for line in exc.lines]}) from exc
    payment_record_implied(order)  # the carried value comes out of a payment the rows must show
    value = sum(line.amount for line in ret.lines.all())
    available = min(value, order_refundable(order))
    used = min(available, replacement.total)
    if used:
        Payment.objects.create(order=order, kind=TenderKind.EXCHANGE, amount=-used, reference=replacement.number,
                               location=location, register_session=register_session, acting_user=acting_user)
        Payment.objects.create(order=replacement, kind=TenderKind.EXCHANGE, amount=used, reference=ret.number,
                               location=location, register_session=register_session, acting_user=acting_user)
    due = replacement.total - used
    if due > 0:
        if not tenders:
            raise InvalidOrder({"tenders": [_("The replacement costs %(due)s more: take the difference.")
                                            % {"due": yen(due)}]})
        payment_take(order=replacement, tenders=tenders, location=location, register_session=register_session,
                     acting_user=acting_user)
    elif tenders:
        raise InvalidOrder({"tenders": [_("Nothing is due on the replacement: the difference is refunded.")]})
    else:
        replacement.payment_status = "paid"
        replacement.save(update_fields=["payment_status"])
    if hand_over:
        group = replacement.fulfillments.get()
        group = services.fulfillment_mark_ready(fulfillment=group, acting_user=acting_user)
        services.fulfillment_hand_over(fulfillment=group, acting_user=acting_user)  # paid just above
    ret.exchange_order = replacement
    ret.save(update_fields=["exchange_order"])
    return used


# --- refunds ------------------------------------------------------------------------------------

@retry_on_conflict
@transaction.atomic
def return_refund(*, order_return: Return, method: str, register_session: RegisterSession | None = None,
                  acting_user=None, already_settled: int = 0) -> Return:
    """Refund a received return: its lines' value (less what an exchange used), never more than
    is left of what was paid, to the original tenders or as store credit. A return of an order
    that was never paid closes with nothing to refund. The customer gets the return receipt."""
    ret = Return.objects.select_for_update(of=("self",)).select_related("order").get(pk=order_return.pk)
    if ret.status != ReturnStatus.RECEIVED:
        raise InvalidTransition(_("Return %(number)s is not waiting for its refund.") % {"number": ret.number})
    if method not in RefundMethod.values:
        raise InvalidOrder({"refund_method": [_("Choose how to refund: to the original payment or as store "
                                                "credit.")]})
    order = _lock(ret.order)
    value = sum(line.amount for line in ret.lines.all()) - already_settled
    amount = max(min(value, order_refundable(order)), 0)
    if method == RefundMethod.STORE_CREDIT and amount and order.customer_id is None:
        raise InvalidOrder({"refund_method": [_("Store credit belongs to a customer: this order has none.")]})
    if amount:
        payment_refund(order=order, amount=amount, method=method, reference=ret.number, location=ret.location,
                       register_session=register_session, acting_user=acting_user)
    ret.status = ReturnStatus.REFUNDED if amount or already_settled else ReturnStatus.CLOSED
    ret.refund_method, ret.refund_total, ret.refunded_at = method, amount, timezone.now()
    ret.save(update_fields=["status", "refund_method", "refund_total", "refunded_at"])
    _record(ret, domain_events.REFUNDED, acting_user=acting_user, refund=amount)
    _queue_receipt(ret)
    return ret


MAX_REFUND_REASON_LENGTH = 200


@retry_on_conflict
@transaction.atomic
def order_refund(*, order: Order, amount: int, method: str = RefundMethod.ORIGINAL, reason: str,
                 register_session: RegisterSession | None = None, location: Location | None = None,
                 acting_user=None) -> list[Payment]:
    """A refund without a return (goodwill, a price adjustment, a partial cancel's money): at
    most what was paid, net of refunds; the reason goes to the audit trail. Raise InvalidOrder
    (nothing written) on a bad amount, method or reason."""
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REFUND_REASON_LENGTH:
        raise InvalidOrder({"reason": [_("Give the reason for the refund (at most %(n)d characters).")
                                       % {"n": MAX_REFUND_REASON_LENGTH}]})
    rows = payment_refund(order=order, amount=amount, method=method, reference=reason[:60], location=location,
                          register_session=register_session, acting_user=acting_user)
    order = Order.objects.select_related("customer", "channel").get(pk=order.pk)
    audit_record(actor=acting_user, action="order_refund", obj=order,
                 changes={"amount": amount, "method": method, "reason": reason})
    if order.customer_id:
        event_record(customer=order.customer, kind=EventKind.RETURN, channel=order.channel, location=location,
                     subject=order_subject(order.number), data={"refund": amount, "reason": reason})
    publish(domain_events.REFUNDED, subject=order_subject(order.number), actor=acting_user,
            payload=domain_events.ReturnChanged(return_id=None, number="", order_id=order.pk,
                                                order_number=order.number, customer_id=order.customer_id,
                                                status="refunded", location_id=getattr(location, "pk", None),
                                                refund=amount))
    return rows


# --- reads --------------------------------------------------------------------------------------

def returns_with_lines(returns=None):
    returns = Return.objects.all() if returns is None else returns
    return returns.select_related("order__customer", "order__channel", "location", "exchange_order").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("order_line").order_by("id")))


def returns_at(*, locations, requested: bool = False) -> Q:
    """Returns a scoped user may see: received or to be brought at their locations, or of orders
    they see; with ``requested``, every return still waiting to be received too (a customer may
    bring it to any store that takes returns, whichever they named)."""
    fulfilled_here = Fulfillment.objects.filter(location__in=locations).values("order_id")
    visible = Q(location__in=locations) | Q(order__in=fulfilled_here) | Q(order__channel__location__in=locations)
    return visible | Q(status=ReturnStatus.REQUESTED) if requested else visible
