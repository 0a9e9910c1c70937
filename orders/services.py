"""Order processing: every write of the orders domain, one function per business action.

Sections: placing an order; the pickup flow (ready, handed over); delivery; cancelling.
Each transition runs in one transaction, writes an OrderEvent and a customer event, and
queues its side effects (emails) with ``transaction.on_commit``.
"""

import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, EventKind
from customers.services import (
    EventImportIn,
    customer_events_import,
    customer_get_or_create_for_order,
    event_record,
)
from inventory import services as inventory
from inventory.errors import InvalidStockOperation, OutOfStock
from inventory.models import StockPolicy, Variant
from kernel import roles
from kernel.audit import audit_record, audit_record_many
from kernel.db import bulk_create_backdated, retry_on_conflict
from kernel.errors import RowError, row_errors
from kernel.events import publish
from kernel.japan import (
    TAX_RATES,
    normalize_postal_code,
    normalize_prefecture,
    validate_phone,
    validate_postal_code,
    validate_prefecture,
)
from kernel.models import Channel, ChannelKind, Location
from kernel.subjects import order_subject

from . import domain_events, events
from .discounts import (
    DiscountContext,
    DiscountResult,
    PricedLine,
    codes_normalise,
    discounts_commit,
    discounts_evaluate,
)
from .errors import DiscountRefused, InvalidOrder, InvalidTransition, OrderImportInvalid
from .models import (
    Carrier,
    DeskSearchToken,
    Fulfillment,
    FulfillmentMethod,
    FulfillmentStatus,
    Order,
    OrderDiscount,
    OrderEmail,
    OrderEvent,
    OrderLine,
    OrderNote,
    OrderStatus,
    OrderTag,
    PaymentMethod,
    PaymentStatus,
    new_pickup_code,
    order_number,
)
from .payments import payment_take
from .shipping import shipping_fee, tracking_number_clean

MAX_LINE_QUANTITY = 99
# The longest reason for cancelling and tracking number staff may give (console and API).
MAX_REASON_LENGTH = 200
MAX_TRACKING_LENGTH = 40


@dataclass(frozen=True)
class LineIn:
    sku: str
    quantity: int


@dataclass(frozen=True)
class FulfillmentIn:
    method: str
    location: str = ""  # location code: the pickup store, or the shipping location
    address: dict = field(default_factory=dict)
    # Endless aisle (orders.till): a pickup at ``location`` from another location's stock, held
    # there (the location code); empty: the stock is held where the order is fulfilled.
    source: str = ""


@dataclass(frozen=True)
class ContactIn:
    email: str = ""
    name: str = ""
    phone: str = ""


# --- placing an order ------------------------------------------------------------------

# The most an order can come to: Order.total and OrderLine.line_total are 32-bit integer
# columns on PostgreSQL. With prices bounded by settings.MAX_PRICE a line of 99 fits; many lines
# of expensive items may not, and are refused instead of failing at the database.
MAX_ORDER_TOTAL = 2_147_483_647


def _resolve_lines(lines: list[LineIn], errors: dict[str, list[str]]) -> list[tuple[Variant, int]]:
    """The variants and quantities ordered, lines of one SKU merged into one.

    The per-line maximum holds after merging: three lines of 99 of one SKU are one line of 297,
    refused on every line that adds to it."""
    if not lines:
        errors.setdefault("lines", []).append(_("An order needs at least one line."))
        return []
    skus = [str(line.sku).strip() for line in lines]
    variants = {v.sku: v for v in Variant.objects.select_related("product").filter(sku__in=skus)}
    merged: dict[str, int] = {}
    merged_from: dict[str, list[int]] = {}
    for index, line in enumerate(lines):
        sku = skus[index]
        variant = variants.get(sku)
        if variant is None or not variant.product.is_active:
            errors.setdefault(f"lines.{index}.sku", []).append(_("Unknown SKU: %(sku)s") % {"sku": sku})
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or line.quantity < 1:
            errors.setdefault(f"lines.{index}.quantity", []).append(_("Quantity must be a whole number of at least 1."))
        elif line.quantity > MAX_LINE_QUANTITY:
            errors.setdefault(f"lines.{index}.quantity", []).append(
                _("At most %(max)s per line.") % {"max": MAX_LINE_QUANTITY})
        elif variant is not None:
            merged[sku] = merged.get(sku, 0) + line.quantity
            merged_from.setdefault(sku, []).append(index)
    for sku, quantity in merged.items():
        if quantity > MAX_LINE_QUANTITY:
            message = _("The lines for %(sku)s add up to %(quantity)s; at most %(max)s of one item per order.") % {
                "sku": sku, "quantity": quantity, "max": MAX_LINE_QUANTITY}
            for index in merged_from[sku]:
                errors.setdefault(f"lines.{index}.quantity", []).append(message)
    resolved = [(variants[sku], quantity) for sku, quantity in merged.items()]
    if sum(variant.price * quantity for variant, quantity in resolved) > MAX_ORDER_TOTAL:
        errors.setdefault("lines", []).append(
            _("The order comes to more than ¥%(max)s; split it into several orders.") % {
                "max": f"{MAX_ORDER_TOTAL:,}"})
    return resolved


def _validate_address(address: dict, errors: dict[str, list[str]]) -> dict:
    clean = {key: str(address.get(key, "") or "").strip() for key in
             ("name", "postal_code", "prefecture", "city", "line1", "line2", "phone")}
    for key in ("name", "postal_code", "prefecture", "line1"):
        if not clean[key]:
            errors.setdefault(f"fulfillment.address.{key}", []).append(_("This field is required."))
    if clean["postal_code"]:
        try:
            validate_postal_code(clean["postal_code"])
            clean["postal_code"] = normalize_postal_code(clean["postal_code"])
        except ValidationError as exc:
            errors.setdefault("fulfillment.address.postal_code", []).extend(exc.messages)
    if clean["prefecture"]:
        clean["prefecture"] = normalize_prefecture(clean["prefecture"])  # "１３", "東京都" -> "13"
        try:
            validate_prefecture(clean["prefecture"])
        except ValidationError as exc:
            errors.setdefault("fulfillment.address.prefecture", []).extend(exc.messages)
    if clean["phone"]:
        try:
            validate_phone(clean["phone"])
        except ValidationError as exc:
            errors.setdefault("fulfillment.address.phone", []).extend(exc.messages)
    return clean


def _validate_contact(contact: ContactIn, errors: dict[str, list[str]], customer: Customer | None = None) -> None:
    """What the order keeps to reach the customer (and a new customer record gets): an email
    address, a Japanese phone number, each short enough for its column. The number already on the
    customer's profile is not checked again: one saved before phone numbers were validated must
    not block their order (the order keeps it as given, for the pickup desk's lookup)."""
    if contact.email:
        try:
            validate_email(contact.email.strip())
        except ValidationError as exc:
            errors.setdefault("contact.email", []).extend(exc.messages)
    if contact.phone and not (customer is not None and contact.phone == customer.phone):
        try:
            validate_phone(contact.phone)
        except ValidationError as exc:
            errors.setdefault("contact.phone", []).extend(exc.messages)
    for key in ("email", "name", "phone"):
        limit = Order._meta.get_field(key).max_length
        if len(getattr(contact, key) or "") > limit:
            errors.setdefault(f"contact.{key}", []).append(_("At most %(n)d characters.") % {"n": limit})


def _resolve_location(fulfillment: FulfillmentIn, errors: dict[str, list[str]]) -> Location | None:
    if fulfillment.method not in FulfillmentMethod.values:
        errors.setdefault("fulfillment.method", []).append(_("Choose pickup or delivery."))
        return None
    if not fulfillment.location:
        if fulfillment.method == FulfillmentMethod.PICKUP:
            errors.setdefault("fulfillment.location", []).append(_("Choose the store to pick up at."))
        return None
    location = Location.objects.active().filter(code=fulfillment.location).first()
    if location is None:
        errors.setdefault("fulfillment.location", []).append(_("Unknown location: %(code)s") % {"code": fulfillment.location})
    elif fulfillment.method == FulfillmentMethod.PICKUP and not location.offers_pickup:
        errors.setdefault("fulfillment.location", []).append(
            _("%(name)s does not offer pickup.") % {"name": location.name})
    elif fulfillment.method == FulfillmentMethod.SHIP and not location.ships_orders:
        errors.setdefault("fulfillment.location", []).append(
            _("%(name)s does not ship orders.") % {"name": location.name})
    return location


# Channels without a location that staff scoped to a location may still sell through: a phone
# order is placed by whichever store answers the call.
SHARED_STAFF_CHANNEL_KINDS = {ChannelKind.PHONE}


def order_place_authorize(*, acting_user, channel: Channel, location: Location | None,
                          source: Location | None = None, method: str = "") -> None:
    """Refuse (PermissionDenied) an order that ``acting_user`` may not place.

    The rule for users scoped to a location (store staff, warehouse operators):

    - the order is fulfilled at one of their own locations: a pickup at their store, a
      delivery shipped from it. They name that location; the automatic choice of a shipping
      location is for unscoped callers only;
    - it comes in through a channel of their own location (their store's POS, or any channel
      an administrator tied to it) or through a shared phone-order channel (kind phone, no
      location). The web shop, the app, marketplaces and social shops are the customer's or
      a partner system's own channels: a store does not place orders on them, so sales are
      never credited to a channel that did not make them.

    The endless aisle is the exception: through their own store's POS channel, staff sell an item
    from another location's stock, shipped from there (``method`` ship) or held there
    (``source``) for pickup at their own store.

    Nobody else is limited here: HQ and administrators place any order; customer accounts
    and the storefront are limited to their own channels by their callers. ``order_place``
    calls this, so the console, the API and the storefront share the rule.
    """
    if acting_user is None or not roles.is_scoped(acting_user):
        return
    own_pos = (channel.kind == ChannelKind.POS and channel.location_id is not None
               and roles.can_act_at(acting_user, channel.location_id))
    if own_pos and location is not None and method == FulfillmentMethod.SHIP:
        return  # the endless aisle: their store sells it, another location ships it
    if source is not None and not own_pos:
        raise PermissionDenied(_("You can only place orders fulfilled at your own location."))
    if location is None or not roles.can_act_at(acting_user, location):
        raise PermissionDenied(_("You can only place orders fulfilled at your own location."))
    own_channel = channel.location_id is not None and roles.can_act_at(acting_user, channel.location_id)
    shared_channel = channel.location_id is None and channel.kind in SHARED_STAFF_CHANNEL_KINDS
    if not (own_channel or shared_channel):
        raise PermissionDenied(_("You can only place orders through your location's own channels or by phone."))


@retry_on_conflict
@transaction.atomic
def order_place(
    *,
    channel: Channel,
    lines: list[LineIn],
    fulfillment: FulfillmentIn,
    customer: Customer | None = None,
    contact: ContactIn | None = None,
    payment_method: str | None = None,
    acting_user=None,
    checkout_token: str = "",
    codes: Sequence[str] = (),
) -> Order:
    """Place an order and reserve its stock at the fulfilling location.

    Raises InvalidOrder (field errors), PermissionDenied (``acting_user`` may not place this
    order, see ``order_place_authorize``) or OutOfStock (per-line detail); in every case
    nothing is written and nothing stays reserved.

    Discounts (``orders.discounts``): every provider is asked what applies to the lines with the
    discount ``codes`` typed (normalised). Each line keeps its discount and reason, each applied
    offer an OrderDiscount row, and the providers record their use inside this transaction.
    A code refused, now or by a provider's commit, raises DiscountRefused (an InvalidOrder naming
    ``codes``) and nothing is written. Delivery costs ``orders.shipping.shipping_fee``. The total
    is Σ(line amount − its discount) + shipping fee − shipping discount.

    ``checkout_token`` (the storefront's one-time token of one checkout, for ``customer``)
    makes placing idempotent: when an order with that token exists, it is returned and
    nothing else happens. The order keeps the token under a unique constraint, so of two
    concurrent submissions the second waits for the first to commit and then returns its
    order; the token of another customer is refused (InvalidOrder).
    """
    if checkout_token:
        if customer is None:
            raise ValueError("A checkout token belongs to a customer.")
        placed = _checkout_placed(checkout_token, customer)
        if placed is not None:
            return placed
    errors: dict[str, list[str]] = {}
    if not channel.is_active:
        errors.setdefault("channel", []).append(_("This channel is not active."))
    resolved = _resolve_lines(lines, errors)
    location = _resolve_location(fulfillment, errors)
    address = {}
    if fulfillment.method == FulfillmentMethod.SHIP:
        address = _validate_address(fulfillment.address or {}, errors)
    contact = contact or ContactIn()
    _validate_contact(contact, errors, customer)
    codes = codes if isinstance(codes, str) else tuple(codes or ())
    if isinstance(codes, str) or not all(isinstance(code, str) for code in codes):
        errors.setdefault("codes", []).append(_("Give the discount codes as a list of texts."))
    source = None
    if fulfillment.source and fulfillment.source != fulfillment.location:
        source = Location.objects.active().filter(code=fulfillment.source).first()
        if source is None:
            errors.setdefault("fulfillment.source", []).append(
                _("Unknown location: %(code)s") % {"code": fulfillment.source})
        elif fulfillment.method != FulfillmentMethod.PICKUP:
            errors.setdefault("fulfillment.source", []).append(_("Only a pickup is held at another location."))
    if errors:
        raise InvalidOrder(errors)
    order_place_authorize(acting_user=acting_user, channel=channel, location=location, source=source,
                          method=fulfillment.method)

    if customer is None and contact.email:
        customer = customer_get_or_create_for_order(email=contact.email, family_name=contact.name,
                                                    phone=contact.phone)
    priced = _priced_lines(resolved)
    context = discount_context(channel=channel, customer=customer, location=location, codes=codes,
                               lines=priced, method=fulfillment.method)
    discounts = discounts_evaluate(lines=priced, context=context)
    if discounts.refused:
        raise DiscountRefused(discounts.refused)
    try:
        with transaction.atomic():
            order = Order.objects.create(
                number=f"tmp-{uuid.uuid4().hex[:16]}",  # replaced by the pk-based number below
                channel=channel,
                customer=customer,
                email=contact.email or (customer.email if customer else "") or "",
                name=contact.name or (customer.full_name if customer else ""),
                phone=contact.phone or (customer.phone if customer else ""),
                payment_method=payment_method or (
                    PaymentMethod.PAY_IN_STORE if fulfillment.method == FulfillmentMethod.PICKUP
                    else PaymentMethod.CASH_ON_DELIVERY),
                placed_by=acting_user,
                checkout_token=checkout_token or None,
            )
    except IntegrityError:
        # The same checkout, submitted at the same moment, committed first: show its order.
        placed = _checkout_placed(checkout_token, customer) if checkout_token else None
        if placed is None:
            raise
        return placed
    order.number = order_number(channel_kind=channel.kind, pk=order.pk)

    candidates = [location] if location else list(Location.objects.active().filter(ships_orders=True))
    group = None
    last_error: OutOfStock | None = None
    for candidate in candidates:
        group = Fulfillment.objects.create(
            order=order, method=fulfillment.method, location=candidate, address=address,
            pickup_code=new_pickup_code() if fulfillment.method == FulfillmentMethod.PICKUP else "",
        )
        try:
            inventory.stock_reserve(location=source or candidate, lines=resolved,
                                    reference=group.reservation_reference)
            break
        except OutOfStock as exc:
            last_error = exc
            group.delete()
            group = None
    if group is None:
        raise last_error or OutOfStock([])
    DeskSearchToken.objects.index([group])  # the pickup desk finds it by name, phone (none for a delivery)

    per_sku, reasons = discounts.per_sku(), discounts.reasons()
    reason_limit = OrderLine._meta.get_field("discount_reason").max_length
    order_lines = []
    for variant, quantity in resolved:
        order_lines.append(OrderLine(
            order=order, fulfillment=group, variant=variant, sku=variant.sku, product_name=variant.product.name,
            variant_label=variant.label, quantity=quantity, unit_price=variant.price,
            tax_rate=variant.product.tax_rate, line_total=variant.price * quantity,
            discount=per_sku.get(variant.sku, 0), discount_reason=reasons.get(variant.sku, "")[:reason_limit],
        ))
    OrderLine.objects.bulk_create(order_lines)
    order.discount_total = sum(line.discount for line in order_lines)
    order.shipping_fee = context.shipping_fee
    order.shipping_discount = discounts.shipping_discount
    order.total = (sum(line.amount for line in order_lines) + order.shipping_fee - order.shipping_discount)
    total = order.total
    order.save()
    if discounts.applied:
        rows: dict[tuple, OrderDiscount] = {}  # one row per offer and code, even if a provider repeats it
        for offer in discounts.applied:
            key = (offer.provider, offer.offer_id, offer.code)
            if key in rows:
                rows[key].amount += offer.amount
                rows[key].free_shipping |= offer.free_shipping
            else:
                rows[key] = OrderDiscount(order=order, provider=offer.provider, offer_id=offer.offer_id,
                                          code=offer.code, label=offer.label[:200], amount=offer.amount,
                                          free_shipping=offer.free_shipping, campaign_id=offer.campaign_id)
        OrderDiscount.objects.bulk_create(rows.values())
        # the providers record the use of their offers (raising DiscountRefused rolls all back)
        discounts_commit(order_id=order.pk, order_number=order.number, lines=priced, context=context,
                         result=discounts)
    events.order_event_placed(order=order, fulfillment=group, acting_user=acting_user,
                              backorder=any(v.product.stock_policy != StockPolicy.NORMAL for v, _q in resolved))
    publish(domain_events.ORDER_PLACED, subject=order_subject(order.number), actor=acting_user,
            payload=domain_events.OrderPlaced(
                order_id=order.pk, number=order.number, channel=channel.code, customer_id=order.customer_id,
                total=total, currency=order.currency, method=group.method, location_id=group.location_id,
                lines=len(order_lines)))
    if customer is not None:
        event_record(customer=customer, kind=EventKind.ORDER_PLACED, channel=channel, location=group.location,
                     subject=order_subject(order.number),
                     data={"total": total, "method": group.method, "lines": len(order_lines)})
    transaction.on_commit(lambda: _queue_email(order.pk, OrderEmail.CONFIRMATION))
    return order


def _priced_lines(resolved: list[tuple[Variant, int]]) -> list[PricedLine]:
    return [PricedLine(sku=variant.sku, variant_id=variant.pk, product_id=variant.product_id,
                       category=variant.product.category, quantity=quantity, unit_price=variant.price,
                       tax_rate=variant.product.tax_rate)
            for variant, quantity in resolved]


def discount_context(*, channel: Channel, customer: Customer | None, location: Location | None,
                     codes: Sequence[str], lines: list[PricedLine], method: str, at: datetime | None = None,
                     ) -> DiscountContext:
    """What the discount providers are told about an order or cart: ``codes`` normalised, the
    location the order is fulfilled at (else the channel's), the subtotal before discounts and
    the delivery fee of ``method`` (``orders.shipping``)."""
    subtotal = sum(line.amount for line in lines)
    return DiscountContext(
        customer_id=customer.pk if customer is not None else None, channel_id=channel.pk, channel_kind=channel.kind,
        location_id=location.pk if location is not None else channel.location_id, codes=codes_normalise(codes),
        at=at or timezone.now(), subtotal=subtotal, shipping_fee=shipping_fee(method=method, subtotal=subtotal))


def order_discounts_preview(*, channel: Channel, lines: list[LineIn], codes: Sequence[str] = (),
                            customer: Customer | None = None, method: str = FulfillmentMethod.SHIP,
                            location: Location | None = None) -> tuple[list[PricedLine], DiscountContext,
                                                                       DiscountResult]:
    """What the discounts would be for these lines now (the till and the API's preview): nothing is
    written, refused codes are in the result. Raises InvalidOrder for unknown SKUs or bad quantities."""
    errors: dict[str, list[str]] = {}
    resolved = _resolve_lines(lines, errors)
    if errors:
        raise InvalidOrder(errors)
    priced = _priced_lines(resolved)
    context = discount_context(channel=channel, customer=customer, location=location, codes=codes, lines=priced,
                               method=method)
    return priced, context, discounts_evaluate(lines=priced, context=context)


def _checkout_placed(token: str, customer: Customer) -> Order | None:
    """The order the checkout ``token`` already placed, if any. Tokens are the customer's own
    (random, issued into their session): another customer's is refused, never shown."""
    placed = Order.objects.filter(checkout_token=token).first()
    if placed is not None and placed.customer_id != customer.pk:
        raise InvalidOrder({"checkout_token": [_("This checkout has expired. Please reload the page and try again.")]})
    return placed


# --- transitions -----------------------------------------------------------------------

# The domain event each transition publishes (kernel.events), beside its OrderEvent.
_TRANSITION_EVENTS = {
    events.order_event_ready: domain_events.FULFILLMENT_READY,
    events.order_event_handed_over: domain_events.PICKED_UP,
    events.order_event_shipped: domain_events.SHIPPED,
    events.order_event_cancelled: domain_events.CANCELLED,
    events.order_event_expired: domain_events.PICKUP_EXPIRED,
}

def _transition(fulfillment: Fulfillment, *, record, acting_user) -> Fulfillment:
    """Move ``fulfillment`` to the status of ``record`` (a transition builder of ``orders.events``,
    which writes the OrderEvent)."""
    to_status = events.TRANSITION_BUILDERS[record]
    locked = Fulfillment.objects.select_for_update().select_related("order").get(pk=fulfillment.pk)
    if not locked.can_become(to_status):
        raise InvalidTransition(
            _("Order %(number)s cannot go from “%(from)s” to “%(to)s”.") % {
                "number": locked.order.number, "from": locked.get_status_display(),
                "to": FulfillmentStatus(to_status).label})
    from_status = locked.status
    locked.status = to_status
    now = timezone.now()
    if to_status == FulfillmentStatus.READY:
        locked.ready_at = now
    if to_status in (FulfillmentStatus.COLLECTED, FulfillmentStatus.SHIPPED, FulfillmentStatus.CANCELLED):
        locked.closed_at = now
    locked.save(update_fields=["status", "ready_at", "closed_at"])
    record(fulfillment=locked, from_status=from_status, acting_user=acting_user)
    order = locked.order
    publish(_TRANSITION_EVENTS[record], subject=order_subject(order.number), actor=acting_user,
            payload=domain_events.FulfillmentChanged(
                order_id=order.pk, number=order.number, fulfillment_id=locked.pk, customer_id=order.customer_id,
                method=locked.method, location_id=locked.location_id, from_status=from_status,
                to_status=to_status))
    _sync_order_status(order)
    return locked


def _sync_order_status(order: Order) -> None:
    statuses = set(order.fulfillments.values_list("status", flat=True))
    closed = {FulfillmentStatus.COLLECTED, FulfillmentStatus.SHIPPED, FulfillmentStatus.CANCELLED}
    if statuses == {FulfillmentStatus.CANCELLED}:
        status = OrderStatus.CANCELLED
    elif statuses <= closed and FulfillmentStatus.COLLECTED in statuses:
        status = OrderStatus.COMPLETED
    elif statuses <= closed:
        status = OrderStatus.SHIPPED
    elif FulfillmentStatus.READY in statuses:
        status = OrderStatus.READY
    else:
        status = OrderStatus.PLACED
    if status != order.status:
        order.status = status
        if status in (OrderStatus.COMPLETED, OrderStatus.SHIPPED):
            order.completed_at = timezone.now()
        order.save(update_fields=["status", "completed_at"])


def _aisle_hold_here(fulfillment: Fulfillment) -> None:
    """An endless-aisle pickup (its items come by ``fulfillment.transfer``) is ready only once the
    transfer was received here; its items are then held at this store under the fulfilment's
    reference (the hold at the source left with the transfer). InvalidTransition, naming the
    transfer or the short item, otherwise."""
    from inventory.models import Reservation, Transfer, TransferStatus

    transfer = Transfer.objects.select_related("source").get(pk=fulfillment.transfer_id)
    number = fulfillment.order.number
    if transfer.status != TransferStatus.RECEIVED:
        raise InvalidTransition(_("The items of order %(number)s are still on their way from %(source)s "
                                  "(%(transfer)s, %(status)s).") % {
            "number": number, "source": transfer.source.name, "transfer": transfer.number,
            "status": transfer.get_status_display()})
    reference = fulfillment.reservation_reference
    if Reservation.objects.active().filter(reference=reference, location_id=fulfillment.location_id).exists():
        return
    lines = [(line.variant, line.quantity) for line in fulfillment.lines.select_related("variant__product")]
    try:
        inventory.stock_reserve(location=fulfillment.location, lines=lines, reference=reference)
    except OutOfStock as exc:
        raise InvalidTransition(_("Order %(number)s cannot be ready: %(short)s.") % {"number": number, "short": ", ".join(
            _("%(sku)s %(available)s of %(requested)s here") % {
                "sku": line.sku, "available": line.available, "requested": line.requested}
            for line in exc.lines)}) from exc


@retry_on_conflict
@transaction.atomic
def fulfillment_mark_ready(*, fulfillment: Fulfillment, acting_user=None) -> Fulfillment:
    """Staff have picked the items: the order waits at the pickup desk; the customer is told. An
    endless-aisle pickup is ready once its transfer was received here (``_aisle_hold_here``)."""
    fulfillment = _transition(fulfillment, record=events.order_event_ready, acting_user=acting_user)
    if fulfillment.transfer_id:
        _aisle_hold_here(fulfillment)  # raises inside the transaction: the transition rolls back
    order = fulfillment.order
    if order.customer_id:
        event_record(customer=order.customer, kind=EventKind.ORDER_READY, channel=order.channel,
                     location=fulfillment.location, subject=order_subject(order.number),
                     data={"pickup_code": fulfillment.pickup_code})
    transaction.on_commit(lambda: _queue_email(order.pk, OrderEmail.READY))
    return fulfillment


def hand_over_takes_payment(order: Order) -> bool:
    """Whether handing ``order`` over takes its money at the counter: it is to be paid at the
    store and something is still due."""
    return (order.payment_method == PaymentMethod.PAY_IN_STORE and order.payment_status == PaymentStatus.UNPAID
            and order.total > 0)


@retry_on_conflict
@transaction.atomic
def fulfillment_hand_over(*, fulfillment: Fulfillment, acting_user=None, tenders: Sequence = (),
                          register_session=None) -> Fulfillment:
    """The customer collected the order: reserved stock leaves on_hand through the ledger.

    An order to be paid at the store (``hand_over_takes_payment``) is paid here, through the
    till's one tender step (``orders.payments.payment_take``: split tender, change from cash),
    at ``register_session`` when given (its drawer counts the cash), else at the pickup store.
    Without ``tenders`` covering what is due it is refused (InvalidOrder naming ``tenders``) and
    nothing changes: no hand-over marks an order paid without the money."""
    fulfillment = _transition(fulfillment, record=events.order_event_handed_over, acting_user=acting_user)
    takes_payment = hand_over_takes_payment(fulfillment.order)
    if takes_payment and not tenders:  # raised inside the transaction: the transition rolls back
        raise InvalidOrder({"tenders": [_("Take the payment of %(number)s before handing it over.")
                                        % {"number": fulfillment.order.number}]})
    try:
        inventory.reservation_fulfil(reference=fulfillment.reservation_reference, acting_user=acting_user)
    except InvalidStockOperation as exc:
        raise InvalidTransition(str(exc)) from exc
    order = fulfillment.order
    if takes_payment:
        payment_take(order=order, tenders=tenders, location=fulfillment.location,
                     register_session=register_session, acting_user=acting_user)
        order.refresh_from_db()
    if order.customer_id:
        event_record(customer=order.customer, kind=EventKind.PICKUP_COMPLETED, channel=order.channel,
                     location=fulfillment.location, subject=order_subject(order.number), data={"total": order.total})
    return fulfillment


@retry_on_conflict
@transaction.atomic
def fulfillment_ship(*, fulfillment: Fulfillment, tracking_number: str = "", carrier: str = "",
                     acting_user=None) -> Fulfillment:
    """The parcel left: reserved stock leaves on_hand through the ledger; the fulfilment keeps the
    carrier and the slip's tracking number (normalised and checked against the carrier's format,
    ``orders.shipping.tracking_number_clean``; a number without a carrier is another carrier's).
    The customer sees both, with the carrier's tracking link, in their account. A bad number
    raises InvalidOrder (``carrier`` / ``tracking_number``) before anything changes."""
    if tracking_number or carrier:
        try:
            tracking_number = tracking_number_clean(carrier=carrier or Carrier.OTHER, tracking_number=tracking_number)
        except ValidationError as exc:
            raise InvalidOrder(exc.message_dict) from exc
        carrier = carrier or Carrier.OTHER
    fulfillment = _transition(fulfillment, record=events.order_event_shipped, acting_user=acting_user)
    inventory.reservation_fulfil(reference=fulfillment.reservation_reference, acting_user=acting_user)
    order = fulfillment.order
    if tracking_number:
        fulfillment.carrier, fulfillment.tracking_number = carrier, tracking_number
        fulfillment.save(update_fields=["carrier", "tracking_number"])
        events.order_event_tracking(fulfillment=fulfillment, tracking_number=fulfillment.tracking_display,
                                    acting_user=acting_user)
    if order.customer_id:
        event_record(customer=order.customer, kind=EventKind.ORDER_SHIPPED, channel=order.channel,
                     location=fulfillment.location, subject=order_subject(order.number),
                     data={"tracking_number": fulfillment.tracking_display if tracking_number else ""})
    return fulfillment


@retry_on_conflict
@transaction.atomic
def order_cancel(*, order: Order, reason: str = "", acting_user=None) -> Order:
    """Cancel every open fulfilment of the order and release its reserved stock."""
    open_groups = [g for g in order.fulfillments.all() if g.can_become(FulfillmentStatus.CANCELLED)]
    if not open_groups:
        raise InvalidTransition(_("Order %(number)s can no longer be cancelled.") % {"number": order.number})
    for group in open_groups:
        _transition(group, record=events.order_event_cancelled, acting_user=acting_user)
        inventory.reservation_release(reference=group.reservation_reference)
        if group.transfer_id:
            _aisle_transfer_cancel(group.transfer_id, acting_user)
    order.refresh_from_db()
    if reason.strip():
        events.order_event_cancel_reason(order=order, reason=reason.strip(), acting_user=acting_user)
    if order.customer_id:
        event_record(customer=order.customer, kind=EventKind.ORDER_CANCELLED, channel=order.channel,
                     subject=order_subject(order.number), data={"reason": reason})
    return order


def _aisle_transfer_cancel(transfer_id: int, acting_user) -> None:
    """An endless-aisle order cancelled: its transfer is called off while it has not left (the
    order's hold was just given back); one in transit arrives as the store's own stock."""
    from inventory import transfers
    from inventory.models import Transfer, TransferStatus

    transfer = Transfer.objects.get(pk=transfer_id)
    if transfer.status in (TransferStatus.REQUESTED, TransferStatus.APPROVED):
        transfers.transfer_cancel(transfer=transfer, acting_user=acting_user, by_hold_owner=True)


# --- cancelling part of an order, by staff; cancelling by the customer --------------------

MAX_NOTE_LENGTH = 1000
MAX_TAG_LENGTH = 40
MAX_TAGS = 10


@dataclass(frozen=True)
class LineCancelIn:
    line: int  # OrderLine id
    quantity: int


def _kept_discount(discount: int, quantity: int, kept: int) -> int:
    """The part of a line's discount its ``kept`` units of ``quantity`` keep: in proportion,
    rounded up (the customer keeps the odd yen; never more than the kept units' amount)."""
    return -(-discount * kept // quantity)


def _offers_reduce(order: Order, removed: int) -> None:
    """Take ``removed`` yen of line discount off the order's applied offers (``OrderDiscount``),
    in proportion to what each took off the goods, largest remainder first: Σ offer amounts
    keeps following the lines' discounts (an offer's shipping discount is not touched)."""
    offers = list(order.discounts.all())
    if not offers or removed <= 0:
        return
    goods = [max(o.amount - (order.shipping_discount if o.free_shipping else 0), 0) for o in offers]
    base = sum(goods)
    if base == 0:
        return
    removed = min(removed, base)
    shares = [removed * g // base for g in goods]
    remainders = [removed * g % base for g in goods]
    for index in sorted(range(len(offers)), key=lambda i: (-remainders[i], i))[:removed - sum(shares)]:
        shares[index] += 1
    for offer, share in zip(offers, shares, strict=True):
        if share:
            offer.amount -= min(share, offer.amount)
            offer.save(update_fields=["amount"])


@retry_on_conflict
@transaction.atomic
def order_lines_cancel(*, order: Order, lines: Sequence[LineCancelIn], reason: str = "", acting_user=None) -> Order:
    """Cancel some units of an order's open fulfilments (reserved, or ready at the desk).

    For each line: the units' hold is given back (``inventory.services.reservation_reduce``),
    the line's quantity, amount and discount go down (the kept units keep their share of the
    discount, ``_kept_discount``), a line with no unit left is removed. The order's discount
    total follows its lines, the applied offers follow the discount (``_offers_reduce``), the
    delivery fee stays as charged, and the total is recomputed (tax per rate is computed from the
    lines, ``orders.tax``). A fulfilment left with no line is cancelled; every unit of the order
    is the whole order cancelled (``order_cancel``). One ``lines_cancelled`` OrderEvent records the
    lines, the amount and, for an order already paid, the refund due (``payments.order_refund_due``;
    an order paid without tender rows first gets its payment written, ``payments.payment_record_implied``,
    so the lowered total does not lower what it says was paid).

    Bad input (an unknown line, a line of a closed fulfilment, more units than the line has, the
    same line twice) raises InvalidOrder naming ``lines.<i>.<field>``; nothing changes then."""
    from .payments import order_refund_due, payment_record_implied

    order = Order.objects.select_for_update(of=("self",)).select_related("channel").get(pk=order.pk)
    # the fulfilments too: staff marking ready or handing over meanwhile wait, or win first
    list(Fulfillment.objects.select_for_update().filter(order_id=order.pk).order_by("pk").values_list("pk", flat=True))
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if len(reason) > MAX_REASON_LENGTH:
        errors["reason"] = [_("At most %(n)d characters.") % {"n": MAX_REASON_LENGTH}]
    if not lines:
        errors["lines"] = [_("Choose at least one item to cancel.")]
    current = {line.pk: line for line in OrderLine.objects.select_related("fulfillment").filter(order=order)}
    wanted: dict[int, int] = {}
    for index, item in enumerate(lines):
        line = current.get(item.line) if isinstance(item.line, int) else None
        if line is None:
            errors.setdefault(f"lines.{index}.line", []).append(_("This order has no such line."))
            continue
        if item.line in wanted:
            errors.setdefault(f"lines.{index}.line", []).append(_("Each line once."))
            continue
        if line.fulfillment.transfer_id and line.fulfillment.status == FulfillmentStatus.RESERVED:
            errors.setdefault(f"lines.{index}.line", []).append(
                _("%(item)s is coming from another location by transfer: cancel the whole order, or these items "
                  "once they have arrived and the order is ready.") % {"item": line.product_name})
            continue
        if not line.fulfillment.can_become(FulfillmentStatus.CANCELLED):
            errors.setdefault(f"lines.{index}.line", []).append(
                _("%(item)s can no longer be cancelled: it was %(status)s.") % {
                    "item": line.product_name, "status": line.fulfillment.get_status_display().lower()})
            continue
        quantity = item.quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            errors.setdefault(f"lines.{index}.quantity", []).append(_("Quantity must be a whole number of at least 1."))
        elif quantity > line.quantity:
            errors.setdefault(f"lines.{index}.quantity", []).append(
                _("Only %(n)s of %(item)s were ordered.") % {"n": line.quantity, "item": line.product_name})
        else:
            wanted[line.pk] = quantity
    if errors:
        raise InvalidOrder(errors)

    if all(wanted.get(pk, 0) == line.quantity for pk, line in current.items()):
        return order_cancel(order=order, reason=reason, acting_user=acting_user)

    payment_record_implied(order)
    before, removed_discount, record = order.total, 0, []
    for pk, quantity in wanted.items():
        line = current[pk]
        try:
            inventory.reservation_reduce(reference=line.fulfillment.reservation_reference, variant_id=line.variant_id,
                                         quantity=quantity)
        except InvalidStockOperation as exc:
            raise InvalidTransition(str(exc)) from exc
        kept = line.quantity - quantity
        discount = _kept_discount(line.discount, line.quantity, kept)
        record.append({"sku": line.sku, "product_name": line.product_name, "quantity": quantity,
                       "amount": line.amount - (line.unit_price * kept - discount)})
        removed_discount += line.discount - discount
        if kept == 0:
            line.delete()
            del current[pk]
        else:
            line.quantity, line.line_total, line.discount = kept, line.unit_price * kept, discount
            line.save(update_fields=["quantity", "line_total", "discount"])
    emptied = [g for g in order.fulfillments.all()
               if g.can_become(FulfillmentStatus.CANCELLED) and not g.lines.exists()]
    for group in emptied:
        _transition(group, record=events.order_event_cancelled, acting_user=acting_user)
        inventory.reservation_release(reference=group.reservation_reference)
    remaining = list(current.values())
    order.discount_total = sum(line.discount for line in remaining)
    order.total = sum(line.amount for line in remaining) + order.shipping_fee - order.shipping_discount
    order.save(update_fields=["discount_total", "total"])
    _offers_reduce(order, removed_discount)
    refund_due = order_refund_due(order)
    events.order_event_lines_cancelled(order=order, lines=record, amount=before - order.total, refund_due=refund_due,
                                       reason=reason, acting_user=acting_user)
    return order


def order_cancel_authorize_customer(*, order: Order, customer: Customer) -> None:
    """Refuse (InvalidTransition) a customer's cancel of an order that is no longer only
    reserved: staff have prepared it (ready at the desk), shipped or handed it over. Raises
    Order.DoesNotExist for another customer's order (the caller answers 404)."""
    if order.customer_id != customer.pk:
        raise Order.DoesNotExist
    groups = list(order.fulfillments.all())
    if not groups or any(g.status != FulfillmentStatus.RESERVED for g in groups):
        raise InvalidTransition(_("Order %(number)s is already being prepared and can no longer be cancelled "
                                  "online. Please contact the store.") % {"number": order.number})


@retry_on_conflict
@transaction.atomic
def order_cancel_by_customer(*, order: Order, customer: Customer, reason: str = "", acting_user=None) -> Order:
    """The customer cancels their own order from their account (storefront or API), while no
    fulfilment has been prepared yet: ``order_cancel`` with the same stock release and events.
    The fulfilments are locked first, so staff marking it ready meanwhile wins or waits."""
    list(Fulfillment.objects.select_for_update().filter(order_id=order.pk).order_by("pk").values_list("pk", flat=True))
    order = Order.objects.prefetch_related("fulfillments").get(pk=order.pk)
    order_cancel_authorize_customer(order=order, customer=customer)
    reason = (reason or "").strip()[:MAX_REASON_LENGTH] or _("Cancelled by the customer")
    return order_cancel(order=order, reason=reason, acting_user=acting_user)


# --- staff notes and tags ----------------------------------------------------------------

@transaction.atomic
def order_note_add(*, order: Order, body: str, acting_user) -> OrderNote:
    """A staff note on the order, with its author and time. InvalidOrder on an empty or too long note."""
    body = (body or "").strip()
    if not body:
        raise InvalidOrder({"body": [_("Write the note first.")]})
    if len(body) > MAX_NOTE_LENGTH:
        raise InvalidOrder({"body": [_("At most %(n)d characters.") % {"n": MAX_NOTE_LENGTH}]})
    return OrderNote.objects.create(order=order, body=body, author=acting_user)


def tag_normalise(tag: str) -> str:
    """A tag as typed -> as kept: NFKC, trimmed, inner spaces single, lower case for Latin letters."""
    return " ".join(unicodedata.normalize("NFKC", str(tag or "")).split()).lower()


@transaction.atomic
def order_tags_set(*, order: Order, tags: Sequence[str], acting_user=None) -> list[str]:
    """The order's tags become ``tags`` (normalised, each once, blanks dropped). InvalidOrder for
    too many or too long tags; nothing changes then. Returns the tags, sorted."""
    names: list[str] = []
    errors: dict[str, list[str]] = {}
    for index, tag in enumerate(tags or ()):
        name = tag_normalise(tag) if isinstance(tag, str) else None
        if name is None:
            errors.setdefault(f"tags.{index}", []).append(_("A tag is a text."))
        elif len(name) > MAX_TAG_LENGTH:
            errors.setdefault(f"tags.{index}", []).append(_("At most %(n)d characters.") % {"n": MAX_TAG_LENGTH})
        elif name and name not in names:
            names.append(name)
    if len(names) > MAX_TAGS:
        errors.setdefault("tags", []).append(_("At most %(n)d tags per order.") % {"n": MAX_TAGS})
    if errors:
        raise InvalidOrder(errors)
    have = sorted(OrderTag.objects.filter(order=order).values_list("name", flat=True))
    OrderTag.objects.filter(order=order).exclude(name__in=names).delete()
    OrderTag.objects.bulk_create([OrderTag(order=order, name=name) for name in names if name not in have])
    if have != sorted(names):
        audit_record(actor=acting_user, action="order_tags_set", obj=order, changes={"tags": [have, sorted(names)]})
    return sorted(names)


def _queue_email(order_id: int, kind: str) -> None:
    from django_q.tasks import async_task

    async_task("orders.tasks.order_email_send", order_id, kind, task_name=f"order-email-{order_id}-{kind}",
               sync=settings.Q_CLUSTER.get("sync", False))


def _overdue_pickups(cutoff):
    return Fulfillment.objects.filter(method=FulfillmentMethod.PICKUP, status=FulfillmentStatus.READY,
                                      ready_at__lt=cutoff)


def pickups_expire_overdue(*, now=None, hold_days: int | None = None) -> list[str]:
    """Cancel pickups that waited at the desk longer than the hold period and put their
    stock back on the shelf. Returns the order numbers cancelled. Safe to run repeatedly.

    Each pickup is cancelled in its own short transaction (``_pickup_expire``), like a
    cancel at the desk: the job never holds one pickup's lock while it waits for another's,
    and a pickup handed over meanwhile is simply skipped."""
    now = now or timezone.now()
    hold_days = settings.PICKUP_HOLD_DAYS if hold_days is None else hold_days
    cutoff = now - timezone.timedelta(days=hold_days)
    cancelled = []
    for pk in list(_overdue_pickups(cutoff).order_by("pk").values_list("pk", flat=True)):
        number = _pickup_expire(pk=pk, cutoff=cutoff)
        if number:
            cancelled.append(number)
    return cancelled


@retry_on_conflict
@transaction.atomic
def _pickup_expire(*, pk: int, cutoff) -> str | None:
    """Cancel one overdue pickup; None when it is no longer overdue (collected meanwhile)."""
    group = _overdue_pickups(cutoff).select_for_update(of=("self",)).filter(pk=pk).first()
    if group is None:
        return None
    group = _transition(group, record=events.order_event_expired, acting_user=None)
    inventory.reservation_release(reference=group.reservation_reference)
    order = group.order
    if order.customer_id:
        event_record(customer=order.customer, kind=EventKind.ORDER_CANCELLED, channel=order.channel,
                     location=group.location, subject=order_subject(order.number), data={"reason": "not collected"})
    return order.number


# --- importing the order history of another system ------------------------------------------

@dataclass(frozen=True)
class ImportLineIn:
    """One line of a past order, as it was sold."""

    sku: str
    quantity: int
    unit_price: int  # yen, tax included, as sold then
    tax_rate: int  # percent, as sold then (kernel.japan.TAX_RATES)


# The states a past order may be imported in, per fulfilment method: finished ones only (an open
# order is placed with order_place, which reserves its stock), and the order's status for each.
IMPORT_FINAL_STATUSES = {
    FulfillmentMethod.PICKUP: (FulfillmentStatus.COLLECTED, FulfillmentStatus.CANCELLED),
    FulfillmentMethod.SHIP: (FulfillmentStatus.SHIPPED, FulfillmentStatus.CANCELLED),
}
IMPORT_ORDER_STATUS = {
    FulfillmentStatus.COLLECTED: OrderStatus.COMPLETED,
    FulfillmentStatus.SHIPPED: OrderStatus.SHIPPED,
    FulfillmentStatus.CANCELLED: OrderStatus.CANCELLED,
}
IMPORT_SOURCE_MAX_LENGTH = 100
IMPORT_BATCH = 1000


@dataclass(frozen=True)
class OrderImportIn:
    """One finished order of another system: where it came in and when, what was sold at which
    price and tax rate, how it was fulfilled (``fulfillment``: pickup at a store, or delivery
    from a location to an address) and how it ended (``status``: collected, shipped or
    cancelled, at ``closed_at``; a pickup was ready at ``ready_at``, by default when it was
    collected). ``customer`` is an Omnishop customer id (``customers_import`` gives them);
    ``placed_by`` and ``closed_by`` are staff emails, when known."""

    channel: str  # channel code
    placed_at: datetime
    lines: Sequence[ImportLineIn]
    fulfillment: FulfillmentIn
    status: str
    closed_at: datetime
    ready_at: datetime | None = None
    customer: int | None = None
    contact: ContactIn | None = None
    payment_method: str = ""  # default: as order_place chooses
    payment_status: str = PaymentStatus.PAID
    placed_by: str = ""
    closed_by: str = ""
    cancel_reason: str = ""


def _import_time(errors: dict[str, list[str]], name: str, at, *, now, after=None) -> bool:
    if not isinstance(at, datetime) or timezone.is_naive(at):
        errors.setdefault(name, []).append(_("Give a date and time with its time zone."))
    elif at > now:
        errors.setdefault(name, []).append(_("This time is in the future."))
    elif after is not None and isinstance(after, datetime) and not timezone.is_naive(after) and at < after:
        errors.setdefault(name, []).append(_("This time is before the order was placed."))
    else:
        return True
    return False


@transaction.atomic
def orders_import(*, rows: Sequence[OrderImportIn], source: str, acting_user=None) -> list[Order]:
    """Bring the finished orders of the system a shop moves from into Omnishop, at their own
    times: each order gets its Omnishop number (``order_number``, the same rule as every
    order), its lines with the prices and tax rates they were sold at, its fulfilment in its
    final state, the OrderEvents of its steps (``orders.events``, dated when they happened) and,
    for a customer, the same timeline events the order services write for those steps
    (``customers.services.customer_events_import``). ``source`` names the import in the audit
    trail (one entry per order, by ``acting_user``).

    Imported history is history, not activity:

    - it moves no stock: a migration brings today's stock as opening balances
      (``inventory.services.stock_import``) and the old system's sales are already out of it;
      replaying them would count every sale twice or need the old system's receipts too;
    - it publishes no domain events (``orders.order_placed``, ``picked_up``, ``shipped``...):
      their consumers act on things happening now (a post-purchase journey must not thank a
      customer for an order of three months ago), and no email is sent;
    - it gives pickups no pickup code (a finished pickup needs none).

    All or nothing: raise OrderImportInvalid naming every bad row (row, field, message);
    nothing is written then. Returns the orders in the order of ``rows``."""
    source = (source or "").strip()
    if not source or len(source) > IMPORT_SOURCE_MAX_LENGTH:
        raise ValidationError({"source": [_("Name the import in at most %(n)d characters.") % {
            "n": IMPORT_SOURCE_MAX_LENGTH}]})
    now = timezone.now()
    channels = {c.code: c for c in Channel.objects.filter(code__in={row.channel for row in rows})}
    locations = {loc.code: loc for loc in Location.objects.filter(
        code__in={row.fulfillment.location for row in rows})}
    variants = {v.sku: v for v in Variant.objects.select_related("product").filter(
        sku__in={line.sku for row in rows for line in row.lines})}
    customers = {c.pk: c for c in Customer.objects.filter(
        pk__in={row.customer for row in rows if isinstance(row.customer, int)})}
    staff_emails = {email.strip().lower() for row in rows for email in (row.placed_by, row.closed_by) if email}
    staff = {user.email.lower(): user for user in get_user_model().objects.annotate(lower=Lower("email")).filter(
        lower__in=staff_emails)} if staff_emails else {}

    problems: list[RowError] = []
    for index, row in enumerate(rows):
        errors: dict[str, list[str]] = {}
        if row.channel not in channels:
            errors["channel"] = [_("Unknown channel: %(code)s") % {"code": row.channel}]
        placed_ok = _import_time(errors, "placed_at", row.placed_at, now=now)
        closed_ok = _import_time(errors, "closed_at", row.closed_at, now=now,
                                 after=row.placed_at if placed_ok else None)
        if not row.lines:
            errors["lines"] = [_("An order needs at least one line.")]
        total = 0
        for number, line in enumerate(row.lines):
            prefix = f"lines.{number}."
            if line.sku not in variants:
                errors.setdefault(f"{prefix}sku", []).append(_("Unknown SKU: %(sku)s") % {"sku": line.sku})
            if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or \
                    not 1 <= line.quantity <= MAX_LINE_QUANTITY:
                errors.setdefault(f"{prefix}quantity", []).append(
                    _("Give a whole number from 1 to %(max)s.") % {"max": MAX_LINE_QUANTITY})
            elif not isinstance(line.unit_price, int) or isinstance(line.unit_price, bool) or \
                    not 0 <= line.unit_price <= MAX_ORDER_TOTAL:
                errors.setdefault(f"{prefix}unit_price", []).append(_("Give the price in whole yen, tax included."))
            else:
                total += line.unit_price * line.quantity
            if line.tax_rate not in TAX_RATES:
                errors.setdefault(f"{prefix}tax_rate", []).append(
                    _("Give a consumption tax rate: %(rates)s.") % {"rates": ", ".join(map(str, TAX_RATES))})
        if total > MAX_ORDER_TOTAL:
            errors.setdefault("lines", []).append(_("The order comes to more than ¥%(max)s.") % {
                "max": f"{MAX_ORDER_TOTAL:,}"})
        method = row.fulfillment.method
        if method not in FulfillmentMethod.values:
            errors["fulfillment.method"] = [_("Choose pickup or delivery.")]
        elif row.status not in IMPORT_FINAL_STATUSES[method]:
            errors["status"] = [_("Give how the order ended: %(statuses)s.") % {
                "statuses": ", ".join(IMPORT_FINAL_STATUSES[method])}]
        if row.fulfillment.location not in locations:
            errors["fulfillment.location"] = [_("Unknown location: %(code)s") % {"code": row.fulfillment.location}]
        if method == FulfillmentMethod.SHIP:
            _validate_address(row.fulfillment.address or {}, errors)
            if row.ready_at is not None:
                errors["ready_at"] = [_("Only a pickup is ready at a store.")]
        elif row.ready_at is not None and placed_ok and closed_ok and \
                _import_time(errors, "ready_at", row.ready_at, now=now, after=row.placed_at) and \
                row.ready_at > row.closed_at:
            errors["ready_at"] = [_("This time is after the order was closed.")]
        customer = customers.get(row.customer) if row.customer is not None else None
        if row.customer is not None and customer is None:
            errors["customer"] = [_("Unknown customer: %(id)s") % {"id": row.customer}]
        _validate_contact(row.contact or ContactIn(), errors, customer)
        if row.payment_method and row.payment_method not in PaymentMethod.values:
            errors["payment_method"] = [_("Unknown payment method.")]
        if row.payment_status not in PaymentStatus.values:
            errors["payment_status"] = [_("Unknown payment status.")]
        for name in ("placed_by", "closed_by"):
            email = getattr(row, name)
            if email and email.strip().lower() not in staff:
                errors[name] = [_("No user has this email address.")]
        if row.cancel_reason and row.status != FulfillmentStatus.CANCELLED:
            errors["cancel_reason"] = [_("Only a cancelled order has a reason for cancelling.")]
        elif len(row.cancel_reason) > MAX_REASON_LENGTH:
            errors["cancel_reason"] = [_("At most %(n)d characters.") % {"n": MAX_REASON_LENGTH}]
        problems += row_errors(index, errors)
    if problems:
        raise OrderImportInvalid(problems)

    orders = []
    for row in rows:
        customer = customers.get(row.customer)
        contact = row.contact or ContactIn()
        closed = row.status != FulfillmentStatus.CANCELLED
        order = Order(
            number=f"tmp-{uuid.uuid4().hex[:16]}",  # replaced by the pk-based number below
            channel=channels[row.channel], customer=customer, status=IMPORT_ORDER_STATUS[row.status],
            email=contact.email or (customer.email if customer else "") or "",
            name=contact.name or (customer.full_name if customer else ""),
            phone=contact.phone or (customer.phone if customer else ""),
            total=sum(line.unit_price * line.quantity for line in row.lines),
            payment_method=row.payment_method or (
                PaymentMethod.PAY_IN_STORE if row.fulfillment.method == FulfillmentMethod.PICKUP
                else PaymentMethod.CASH_ON_DELIVERY),
            payment_status=row.payment_status, placed_by=staff.get(row.placed_by.strip().lower()),
            completed_at=row.closed_at if closed else None,
        )
        order.fill_search_fields()  # bulk_create skips save()
        orders.append(order)
    orders = Order.objects.bulk_create(orders, batch_size=IMPORT_BATCH)
    # The number is the one rule of every order (order_number, from the id); created_at is set
    # to the time the order was placed, over the insert's auto_now_add, before anyone can read it
    # (see kernel.db.bulk_create_backdated).
    for order, row in zip(orders, rows, strict=True):
        order.number = order_number(channel_kind=order.channel.kind, pk=order.pk)
        order.created_at = row.placed_at
    Order.objects.bulk_update(orders, ["number", "created_at"], batch_size=IMPORT_BATCH)

    groups = Fulfillment.objects.bulk_create([
        Fulfillment(order=order, method=row.fulfillment.method, location=locations[row.fulfillment.location],
                    status=row.status, address=_validate_address(row.fulfillment.address or {}, {})
                    if row.fulfillment.method == FulfillmentMethod.SHIP else {},
                    ready_at=(row.ready_at or (row.closed_at if row.status == FulfillmentStatus.COLLECTED else None))
                    if row.fulfillment.method == FulfillmentMethod.PICKUP else None,
                    closed_at=row.closed_at)
        for order, row in zip(orders, rows, strict=True)], batch_size=IMPORT_BATCH)
    DeskSearchToken.objects.index(groups)  # the imported pickups, for the desk's search
    OrderLine.objects.bulk_create([
        OrderLine(order=order, fulfillment=group, variant=variants[line.sku], sku=line.sku,
                  product_name=variants[line.sku].product.name, variant_label=variants[line.sku].label,
                  quantity=line.quantity, unit_price=line.unit_price, tax_rate=line.tax_rate,
                  line_total=line.unit_price * line.quantity)
        for order, group, row in zip(orders, groups, rows, strict=True) for line in row.lines],
        batch_size=IMPORT_BATCH)

    order_events, timeline = [], []
    for order, group, row in zip(orders, groups, rows, strict=True):
        placed_by, closed_by = order.placed_by, staff.get(row.closed_by.strip().lower())
        subject = order_subject(order.number)
        order_events.append(events.order_event_placed(order=order, fulfillment=group, acting_user=placed_by,
                                                      at=row.placed_at, commit=False))
        steps = [(EventKind.ORDER_PLACED, row.placed_at, group.location,
                  {"total": order.total, "method": group.method, "lines": len(row.lines)})]
        if group.ready_at is not None:
            order_events.append(events.order_event_ready(fulfillment=group, acting_user=closed_by, at=group.ready_at,
                                                         commit=False))
            steps.append((EventKind.ORDER_READY, group.ready_at, group.location, {"pickup_code": group.pickup_code}))
        if row.status == FulfillmentStatus.COLLECTED:
            order_events.append(events.order_event_handed_over(fulfillment=group, acting_user=closed_by,
                                                               at=row.closed_at, commit=False))
            steps.append((EventKind.PICKUP_COMPLETED, row.closed_at, group.location, {"total": order.total}))
        elif row.status == FulfillmentStatus.SHIPPED:
            order_events.append(events.order_event_shipped(fulfillment=group, acting_user=closed_by,
                                                           at=row.closed_at, commit=False))
            steps.append((EventKind.ORDER_SHIPPED, row.closed_at, group.location, {"tracking_number": ""}))
        else:
            order_events.append(events.order_event_cancelled(
                fulfillment=group, acting_user=closed_by, at=row.closed_at, commit=False,
                from_status=FulfillmentStatus.READY if group.ready_at else FulfillmentStatus.RESERVED))
            if row.cancel_reason.strip():
                order_events.append(events.order_event_cancel_reason(
                    order=order, reason=row.cancel_reason.strip(), acting_user=closed_by, at=row.closed_at,
                    commit=False))
            steps.append((EventKind.ORDER_CANCELLED, row.closed_at, None, {"reason": row.cancel_reason}))
        if order.customer is not None:
            timeline += [EventImportIn(customer=order.customer, kind=kind, occurred_at=at, channel=order.channel,
                                       location=location, subject=subject, data=data)
                         for kind, at, location, data in steps]
    bulk_create_backdated(OrderEvent, order_events, time_field="created_at", batch_size=IMPORT_BATCH)
    customer_events_import(events=timeline, acting_user=acting_user)
    audit_record_many(actor=acting_user, action="orders_import", entries=[(order, {"source": source})
                                                                          for order in orders])
    return orders
