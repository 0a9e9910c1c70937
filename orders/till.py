"""The till (POS): a sale rung up at a register, completed at once, and its void.

One service per action, called by the console's till page, the API (``/api/v1/till/...``) and the
offline queue's batch endpoint alike:

- ``variant_lookup`` / ``variant_search``: what a scanner typed (JAN/EAN-13 or SKU, any width)
  or a name typed by staff -> variants (reads);
- ``till_sale``: one transaction: a POS-channel order at the register's store, completed at once
  (fulfilment collected, order completed), stock leaves the shelf through the ledger with no
  reservation round trip (``inventory.services.stock_sell``), discounts through the one discount
  hook (``orders.discounts``), the money through the one tender step
  (``orders.payments.payment_take``), the customer's timeline gets the store purchase, an
  OrderEvent ``sold`` and the domain events ``orders.order_placed`` and
  ``orders.till_sale_completed``;
- ``till_sale_void``: undo a sale while its register session is open (see ``TillSale`` for what
  a void leaves behind);
- ``till_receipt_reprint`` and ``till_receipt_email``: the receipt again, on paper or by email.

**Idempotency.** Every sale carries its till's own key (one per sale, made when the sale was
started, kept by an offline till until it is sent). The same key gives the same sale back
(``replayed``), never a second one, whoever sends it and however often; the same key with other
content is refused (``TillSaleConflict``, 409). The key is kept with the sale for good, so a
queue sent again days later is still recognised. Bad input (unknown barcode, tenders short of
the total, short stock, a refused code) raises before anything is committed: stock and money
stay exactly as they were.
"""

import hashlib
import json
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer, EventKind
from customers.services import event_record
from inventory import services as inventory
from inventory.models import TAX_CLASS_RATES, Product, Variant
from kernel import channels, roles
from kernel.audit import audit_record
from kernel.db import retry_on_conflict
from kernel.events import publish
from kernel.subjects import order_subject

from . import domain_events, events
from .discounts import discounts_commit, discounts_evaluate
from .errors import DiscountRefused, InvalidOrder, InvalidTransition, OrderError
from .models import (
    DeskSearchToken,
    Fulfillment,
    FulfillmentMethod,
    FulfillmentStatus,
    Order,
    OrderDiscount,
    OrderEmail,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    RegisterSession,
    TenderKind,
    TillSale,
    order_number,
)
from .payments import TenderIn, payment_take
from .services import (
    MAX_LINE_QUANTITY,
    MAX_ORDER_TOTAL,
    MAX_REASON_LENGTH,
    _priced_lines,
    _queue_email,
    discount_context,
)

MAX_KEY_LENGTH = TillSale._meta.get_field("idempotency_key").max_length
MAX_TILL_LINES = 200
SEARCH_LIMIT = 12


class TillSaleConflict(OrderError):
    """An idempotency key already used for another sale (other lines, tenders or register)."""

    code = "idempotency_key_reused"
    http_status = 409

    def __init__(self, key: str, number: str = ""):
        self.key = key
        self.number = number
        super().__init__(key)

    def detail(self) -> str:
        return _("This sale key was already used for a different sale; nothing was sold. Start a new sale.")

    def payload(self) -> dict:
        return {"idempotency_key": self.key}


@dataclass(frozen=True)
class TillLineIn:
    """One line as the till sends it: ``code`` is what was scanned or typed (a JAN/EAN-13 or a SKU)."""

    code: str
    quantity: int = 1


@dataclass(frozen=True)
class TillSaleResult:
    sale: TillSale
    order: Order
    change: int
    replayed: bool  # True: the key was already used for this very sale; nothing new happened
    # a sale made offline that took units held for others (pickups, safety stock): what is short now
    stock_warnings: tuple = ()


# --- finding what was scanned --------------------------------------------------------------

def scan_normalise(code: str) -> str:
    """What a scanner or a person typed -> the code looked up: NFKC (full-width digits and
    letters), no spaces, no dashes between digits."""
    text = unicodedata.normalize("NFKC", str(code or "")).strip()
    compact = text.replace(" ", "").replace("-", "")
    return compact if compact.isdigit() else text


def variants_lookup(codes: Sequence[str]) -> dict[str, Variant]:
    """``{normalised code: variant}`` for the codes that are a published variant's JAN/EAN-13 or
    SKU, in two queries whatever the number of codes (by the unique indexes on barcode and sku)."""
    normal = {scan_normalise(code) for code in codes}
    normal.discard("")
    if not normal:
        return {}
    found: dict[str, Variant] = {}
    barcodes = {code for code in normal if code.isdigit() and len(code) in (8, 12, 13)}
    # a UPC-A (12 digits) is the EAN-13 with a leading 0
    lookup_barcodes = barcodes | {"0" + code for code in barcodes if len(code) == 12}
    variants = Variant.objects.select_related("product").filter(
        Q(barcode__in=lookup_barcodes) | Q(sku__in=normal | {code.upper() for code in normal}))
    by_barcode, by_sku = {}, {}
    for variant in variants:
        if not variant.product.is_active:
            continue
        by_barcode[variant.barcode] = variant
        by_sku[variant.sku] = variant
    for code in normal:
        variant = by_barcode.get(code) or by_barcode.get("0" + code) or by_sku.get(code) or by_sku.get(code.upper())
        if variant is not None:
            found[code] = variant
    return found


def variant_lookup(code: str) -> Variant | None:
    """The published variant whose JAN/EAN-13 or SKU was scanned or typed, or None."""
    return variants_lookup([code]).get(scan_normalise(code))


def variant_search(query: str, limit: int = SEARCH_LIMIT) -> list[Variant]:
    """Published variants whose product name, code or category matches ``query`` (kana or kanji,
    any width), for the till's search by name."""
    if not query.strip():
        return []
    products = Product.objects.published().search(query).order_by("name", "id").values_list("pk", flat=True)[:limit]
    return list(Variant.objects.select_related("product").filter(product_id__in=list(products))
                .order_by("product__name", "product_id", "position", "id")[:limit])


# --- the price list an offline till keeps ----------------------------------------------------

PRICE_LIST_FIELDS = ("sku", "barcode", "name", "label", "price", "tax_rate")
# Bump to make every till's service worker drop the page copies it keeps (a change of their shape).
TILL_SHELL_VERSION = "1"


def till_price_list() -> list[list]:
    """Every published variant as the till's offline script keeps it in the browser (IndexedDB)
    to resolve a scan or a name search with no connection: ``[sku, barcode, name, label, price,
    tax_rate]`` (``PRICE_LIST_FIELDS``), by SKU. Prices are the brand's, the same at every store.
    One query whatever the size of the catalogue; about 60 bytes a variant before gzip."""
    rows = (Variant.objects.filter(product__is_active=True).order_by("sku")
            .values_list("sku", "barcode", "product__name", "color", "size", "price", "product__tax_class"))
    return [[sku, barcode, name, " / ".join(part for part in (color, size) if part), price,
             TAX_CLASS_RATES[tax_class]]
            for sku, barcode, name, color, size, price, tax_class in rows.iterator(chunk_size=5000)]


def till_price_list_version(items: list[list]) -> str:
    """A short fingerprint of the price list: the ETag the till's script sends back to skip the
    download when nothing changed."""
    canonical = json.dumps(items, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


# --- ringing up a sale ---------------------------------------------------------------------

def _fingerprint(*, register_id: int, lines: Sequence[TillLineIn], customer_id: int | None,
                 codes: Sequence[str], tenders: Sequence[TenderIn]) -> str:
    content = {
        "register": register_id,
        "lines": [[scan_normalise(line.code), line.quantity] for line in lines],
        "customer": customer_id,
        "codes": sorted(str(code) for code in codes),
        "tenders": [[tender.kind, tender.amount, tender.reference.strip()] for tender in tenders],
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(*, key: str, fingerprint: str, acting_user) -> TillSaleResult | None:
    sale = (TillSale.objects.select_related("order", "register_session__register__location")
            .filter(idempotency_key=key).first())
    if sale is None:
        return None
    location = sale.register_session.register.location
    if sale.fingerprint != fingerprint or (acting_user is not None and not roles.can_act_at(acting_user, location)):
        raise TillSaleConflict(key, sale.order.number)
    return TillSaleResult(sale=sale, order=sale.order, change=sale.change, replayed=True)


def _resolve_till_lines(lines: Sequence[TillLineIn], errors: dict[str, list[str]]) -> list[tuple[Variant, int]]:
    """The variants and quantities sold, lines of one variant merged (scanned twice = 2)."""
    if not lines:
        errors.setdefault("lines", []).append(_("Scan at least one item."))
        return []
    if len(lines) > MAX_TILL_LINES:
        errors.setdefault("lines", []).append(_("At most %(n)s lines per sale.") % {"n": MAX_TILL_LINES})
        return []
    found = variants_lookup([str(line.code) for line in lines])
    merged: dict[int, list] = {}
    for index, line in enumerate(lines):
        variant = found.get(scan_normalise(line.code))
        if variant is None:
            errors.setdefault(f"lines.{index}.code", []).append(
                _("No item has the barcode or SKU %(code)s.") % {"code": scan_normalise(line.code) or "—"})
        quantity = line.quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            errors.setdefault(f"lines.{index}.quantity", []).append(_("Quantity must be a whole number of at least 1."))
        elif variant is not None:
            entry = merged.setdefault(variant.pk, [variant, 0, []])
            entry[1] += quantity
            entry[2].append(index)
    for _variant, quantity, indexes in merged.values():
        if quantity > MAX_LINE_QUANTITY:
            for index in indexes:
                errors.setdefault(f"lines.{index}.quantity", []).append(
                    _("At most %(max)s per line.") % {"max": MAX_LINE_QUANTITY})
    resolved = [(variant, quantity) for variant, quantity, _indexes in merged.values()]
    if sum(variant.price * quantity for variant, quantity in resolved) > MAX_ORDER_TOTAL:
        errors.setdefault("lines", []).append(
            _("The sale comes to more than ¥%(max)s; split it into several sales.") % {"max": f"{MAX_ORDER_TOTAL:,}"})
    return resolved


def _payment_method(tenders: Sequence[TenderIn]) -> str:
    kinds = {tender.kind for tender in tenders}
    if kinds == {TenderKind.CASH}:
        return PaymentMethod.CASH
    if kinds == {TenderKind.CARD}:
        return PaymentMethod.CARD
    return PaymentMethod.PAY_IN_STORE


def till_sale(*, register_session: RegisterSession, lines: Sequence[TillLineIn], tenders: Sequence[TenderIn],
              idempotency_key: str, acting_user, customer: Customer | None = None, codes: Sequence[str] = (),
              sold_at: datetime | None = None, offline: bool = False) -> TillSaleResult:
    """Ring up a sale at ``register_session``'s till and complete it at once (see the module).

    ``offline``: the sale was rung up by a till with no connection and is sent now (the batch
    endpoint): the units have already left the shop, so the sale may take units held for others
    (pickup reservations, safety stock) rather than be refused; those lines come back in
    ``stock_warnings`` (and on the order's ``sold`` event) for staff. It is still refused
    (OutOfStock) when the books hold fewer units than were sold: on_hand never goes below zero,
    and staff settle the difference (a count, a receipt) before sending the sale again.

    Raises InvalidOrder (field errors: ``lines.<i>.code``, ``lines.<i>.quantity``, ``tenders...``,
    ``register``, ``idempotency_key``), DiscountRefused (``codes``), OutOfStock (per line),
    PermissionDenied (the register is not at ``acting_user``'s store) or TillSaleConflict (the key
    was used for another sale). In every case nothing is written."""
    key = str(idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidOrder({"idempotency_key": [_("Give the sale a key of 1 to %(n)s characters.")
                                                % {"n": MAX_KEY_LENGTH}]})
    codes = tuple(codes or ())
    tenders = list(tenders or ())
    fingerprint = _fingerprint(register_id=register_session.register_id, lines=lines,
                               customer_id=customer.pk if customer else None, codes=codes, tenders=tenders)
    replay = _replay(key=key, fingerprint=fingerprint, acting_user=acting_user)
    if replay is not None:
        return replay
    try:
        return _till_sale(register_session=register_session, lines=lines, tenders=tenders, key=key,
                          fingerprint=fingerprint, acting_user=acting_user, customer=customer, codes=codes,
                          sold_at=sold_at, offline=offline)
    except IntegrityError:
        # the same key, sent twice at the same moment (an offline queue and a retry): the other
        # committed first, and everything this attempt did rolled back
        replay = _replay(key=key, fingerprint=fingerprint, acting_user=acting_user)
        if replay is None:
            raise
        return replay


@retry_on_conflict
@transaction.atomic
def _till_sale(*, register_session, lines, tenders, key, fingerprint, acting_user, customer, codes,
               sold_at, offline=False) -> TillSaleResult:
    session = RegisterSession.objects.select_related("register__location").get(pk=register_session.pk)
    location = session.register.location
    if acting_user is not None and not roles.can_act_at(acting_user, location):
        raise PermissionDenied(_("You can only sell at your own store's tills."))
    errors: dict[str, list[str]] = {}
    if not session.is_open:
        errors["register"] = [_("This register is closed: open it before taking money.")]
    if not session.register.is_active:
        errors["register"] = [_("This register is not in use.")]
    resolved = _resolve_till_lines(lines, errors)
    if any(not isinstance(code, str) for code in codes):
        errors.setdefault("codes", []).append(_("Give the discount codes as a list of texts."))
    now = timezone.now()
    if sold_at is not None and (timezone.is_naive(sold_at) or sold_at > now + timezone.timedelta(minutes=5)):
        errors["sold_at"] = [_("Give the time of the sale with its time zone, not in the future.")]
    if errors:
        raise InvalidOrder(errors)
    channel = channels.pos_channel(location)

    priced = _priced_lines(resolved)
    context = discount_context(channel=channel, customer=customer, location=location, codes=codes, lines=priced,
                               method=FulfillmentMethod.PICKUP)
    discounts = discounts_evaluate(lines=priced, context=context)
    if discounts.refused:
        raise DiscountRefused(discounts.refused)

    order = Order.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:16]}", channel=channel, customer=customer, status=OrderStatus.COMPLETED,
        email=(customer.email if customer else "") or "", name=customer.full_name if customer else "",
        phone=(customer.phone if customer else "") or "", payment_method=_payment_method(tenders),
        placed_by=acting_user, completed_at=now,
    )
    order.number = order_number(channel_kind=channel.kind, pk=order.pk)
    group = Fulfillment.objects.create(order=order, method=FulfillmentMethod.PICKUP, location=location,
                                       status=FulfillmentStatus.COLLECTED, ready_at=now, closed_at=now)
    DeskSearchToken.objects.index([group])  # a store sale is found at the desk too, as collected
    # the units leave the shelf now: OutOfStock names every short line and undoes everything
    inventory.stock_sell(location=location, lines=resolved, reference=group.reservation_reference,
                         acting_user=acting_user, from_held=offline)
    stock_warnings = _held_shortfall(location, resolved) if offline else []

    per_sku, reasons = discounts.per_sku(), discounts.reasons()
    reason_limit = OrderLine._meta.get_field("discount_reason").max_length
    order_lines = [OrderLine(
        order=order, fulfillment=group, variant=variant, sku=variant.sku, product_name=variant.product.name,
        variant_label=variant.label, quantity=quantity, unit_price=variant.price,
        tax_rate=variant.product.tax_rate, line_total=variant.price * quantity,
        discount=per_sku.get(variant.sku, 0), discount_reason=reasons.get(variant.sku, "")[:reason_limit],
    ) for variant, quantity in resolved]
    OrderLine.objects.bulk_create(order_lines)
    order.discount_total = sum(line.discount for line in order_lines)
    order.total = sum(line.amount for line in order_lines)
    order.save()
    if discounts.applied:
        rows: dict[tuple, OrderDiscount] = {}
        for offer in discounts.applied:
            row_key = (offer.provider, offer.offer_id, offer.code)
            if row_key in rows:
                rows[row_key].amount += offer.amount
            else:
                rows[row_key] = OrderDiscount(order=order, provider=offer.provider, offer_id=offer.offer_id,
                                              code=offer.code, label=offer.label[:200], amount=offer.amount,
                                              campaign_id=offer.campaign_id)
        OrderDiscount.objects.bulk_create(rows.values())
        discounts_commit(order_id=order.pk, order_number=order.number, lines=priced, context=context,
                         result=discounts)

    change = 0
    taken: list[Payment] = []
    if order.total > 0:
        result = payment_take(order=order, tenders=tenders, register_session=session, acting_user=acting_user)
        change, taken = result.change, result.payments
    elif tenders:
        raise InvalidOrder({"tenders": [_("Nothing is due on this sale: take no tender.")]})
    else:
        Order.objects.filter(pk=order.pk).update(payment_status=PaymentStatus.PAID)

    sale = TillSale.objects.create(order=order, register_session=session, idempotency_key=key,
                                   fingerprint=fingerprint, sold_at=sold_at or now, sold_by=acting_user,
                                   change=change, receipt_prints=1)
    events.order_event_sold(order=order, fulfillment=group, acting_user=acting_user, register=session.register.code,
                            offline=offline or (sold_at is not None and (now - sold_at).total_seconds() > 60),
                            stock_warnings=stock_warnings)
    subject = order_subject(order.number)
    publish(domain_events.ORDER_PLACED, subject=subject, actor=acting_user, payload=domain_events.OrderPlaced(
        order_id=order.pk, number=order.number, channel=channel.code, customer_id=order.customer_id,
        total=order.total, currency=order.currency, method=group.method, location_id=location.pk,
        lines=len(order_lines)))
    publish(domain_events.TILL_SALE_COMPLETED, subject=subject, actor=acting_user,
            payload=_sale_payload(sale, order, location, _tender_sums(taken)))
    if customer is not None:
        event_record(customer=customer, kind=EventKind.ORDER_PLACED, channel=channel, location=location,
                     subject=subject, occurred_at=sale.sold_at,
                     data={"total": order.total, "method": "till", "lines": len(order_lines),
                           "register": session.register.code})
    order.payment_status = PaymentStatus.PAID
    return TillSaleResult(sale=sale, order=order, change=change, replayed=False,
                          stock_warnings=tuple(stock_warnings))


def _held_shortfall(location, resolved: list[tuple[Variant, int]]) -> list[dict]:
    """After an offline sale: its lines whose stock at ``location`` is now below what is held
    for others (reservations and safety stock), one query."""
    from django.db.models import F

    from inventory.models import StockLevel

    skus = {variant.pk: variant.sku for variant, _quantity in resolved}
    short = (StockLevel.objects.filter(location=location, variant_id__in=list(skus),
                                       on_hand__lt=F("reserved") + F("safety_stock"))
             .values_list("variant_id", "on_hand", "reserved", "safety_stock"))
    return [{"sku": skus[variant_id], "on_hand": on_hand, "reserved": reserved, "safety": safety}
            for variant_id, on_hand, reserved, safety in sorted(short, key=lambda row: skus[row[0]])]


def _tender_sums(payments: Sequence[Payment]) -> dict[str, int]:
    sums: dict[str, int] = {}
    for payment in payments:
        sums[payment.kind] = sums.get(payment.kind, 0) + payment.amount
    return sums


def _sale_payload(sale: TillSale, order: Order, location, tenders: dict) -> domain_events.TillSaleChanged:
    return domain_events.TillSaleChanged(
        order_id=order.pk, number=order.number, customer_id=order.customer_id, location_id=location.pk,
        register_id=sale.register_session.register_id, register_session_id=sale.register_session_id,
        total=order.total, tenders=tenders)


# --- void ----------------------------------------------------------------------------------

@retry_on_conflict
@transaction.atomic
def till_sale_void(*, sale: TillSale, reason: str, acting_user) -> TillSale:
    """Undo a completed sale while its register session is still open (the customer is still at
    the counter, or the sale was rung up by mistake). What it leaves behind is written on
    ``TillSale``: the money given back as negative payments in the same session, the units back
    on hand through the ledger, the order cancelled with an OrderEvent ``voided``, an audit
    entry. After the session is closed, a sale is taken back as a return instead.

    Raises InvalidOrder (no reason), InvalidTransition (already voided, session closed) or
    PermissionDenied (another store's till)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidOrder({"reason": [_("Give a reason for the void.")]})
    if len(reason) > MAX_REASON_LENGTH:
        raise InvalidOrder({"reason": [_("At most %(n)d characters.") % {"n": MAX_REASON_LENGTH}]})
    sale = (TillSale.objects.select_for_update(of=("self",))
            .select_related("order__channel", "order__customer", "register_session__register__location")
            .get(pk=sale.pk))
    session = sale.register_session
    location = session.register.location
    if acting_user is not None and not roles.can_act_at(acting_user, location):
        raise PermissionDenied(_("You can only void sales of your own store's tills."))
    order = sale.order
    if sale.is_voided:
        raise InvalidTransition(_("Sale %(number)s is already voided.") % {"number": order.number})
    if not session.is_open:
        raise InvalidTransition(_("The register session of sale %(number)s is closed: take the items back as a "
                                  "return instead.") % {"number": order.number})
    now = timezone.now()
    kept = list(Payment.objects.filter(order=order, amount__gt=0, register_session=session))
    reversals = [Payment(order=order, kind=payment.kind, amount=-payment.amount, reference=payment.reference,
                         location=location, register_session=session, acting_user=acting_user) for payment in kept]
    Payment.objects.bulk_create(reversals)
    group = order.fulfillments.get()
    inventory.stock_sale_reverse(location=location, lines=[(line.variant, line.quantity) for line in
                                                           order.lines.select_related("variant")],
                                 reference=group.reservation_reference, note=(_("Void: %(reason)s") % {
                                     "reason": reason})[:200], acting_user=acting_user)
    Fulfillment.objects.filter(pk=group.pk).update(status=FulfillmentStatus.CANCELLED, closed_at=now)
    group.status = FulfillmentStatus.CANCELLED
    events.order_event_voided(fulfillment=group, reason=reason, acting_user=acting_user)
    order.status = OrderStatus.CANCELLED
    order.payment_status = PaymentStatus.REFUNDED if kept else order.payment_status
    order.save(update_fields=["status", "payment_status"])
    sale.voided_at, sale.voided_by, sale.void_reason = now, acting_user, reason
    sale.save(update_fields=["voided_at", "voided_by", "void_reason"])
    subject = order_subject(order.number)
    publish(domain_events.CANCELLED, subject=subject, actor=acting_user, payload=domain_events.FulfillmentChanged(
        order_id=order.pk, number=order.number, fulfillment_id=group.pk, customer_id=order.customer_id,
        method=group.method, location_id=location.pk, from_status=FulfillmentStatus.COLLECTED,
        to_status=FulfillmentStatus.CANCELLED))
    publish(domain_events.TILL_SALE_VOIDED, subject=subject, actor=acting_user,
            payload=_sale_payload(sale, order, location, _tender_sums(reversals)))
    if order.customer_id:
        event_record(customer=order.customer, kind=EventKind.ORDER_CANCELLED, channel=order.channel,
                     location=location, subject=subject, data={"reason": reason, "void": True})
    audit_record(actor=acting_user, action="till_sale_void", obj=order,
                 changes={"reason": reason, "register_session": session.pk,
                          "refunded": {payment.kind: -payment.amount for payment in reversals}})
    return sale


# --- the receipt again -----------------------------------------------------------------------

@transaction.atomic
def till_receipt_reprint(*, sale: TillSale, acting_user) -> int:
    """Count one more print of the sale's receipt (the first was printed with the sale); the
    receipt then says 再発行 / Reprint. Returns the number of prints."""
    sale = TillSale.objects.select_for_update().select_related("register_session__register__location").get(pk=sale.pk)
    roles.require_location(acting_user, sale.register_session.register.location)
    sale.receipt_prints += 1
    sale.save(update_fields=["receipt_prints"])
    audit_record(actor=acting_user, action="till_receipt_reprint", obj=sale.order,
                 changes={"prints": sale.receipt_prints})
    return sale.receipt_prints


@transaction.atomic
def till_receipt_email(*, sale: TillSale, email: str, acting_user) -> str:
    """Send the sale's receipt by email through the delivery ledger (once per address), to
    ``email`` or, when blank, to the customer's address on the order. An address typed for an
    anonymous sale is kept on the order (where the receipt went). Returns the address."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    sale = TillSale.objects.select_related("order", "register_session__register__location").get(pk=sale.pk)
    roles.require_location(acting_user, sale.register_session.register.location)
    order = sale.order
    email = (email or "").strip().lower() or order.email
    if not email:
        raise InvalidOrder({"email": [_("Enter the customer's email address.")]})
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidOrder({"email": list(exc.messages)}) from None
    if email != order.email:
        order.email = email
        order.save(update_fields=["email", "phone_digits", "search_text"])
    audit_record(actor=acting_user, action="till_receipt_email", obj=order, changes={"email": email})
    transaction.on_commit(lambda: _queue_email(order.pk, OrderEmail.RECEIPT))
    return email


# --- endless aisle: sell from another location's stock -----------------------------------------

@dataclass(frozen=True)
class AisleSource:
    location: object  # kernel.models.Location
    available: int
    ships: bool  # it can send the item to the customer's home


def aisle_sources(*, variant: Variant, store, quantity: int = 1) -> list[AisleSource]:
    """The other active locations with at least ``quantity`` of ``variant`` available now, most
    first (one query)."""
    from inventory.models import StockLevel

    levels = (StockLevel.objects.with_available().select_related("location")
              .filter(variant=variant, location__is_active=True, available_qty__gte=max(quantity, 1))
              .exclude(location=store).order_by("-available_qty", "location__code"))
    return [AisleSource(location=level.location, available=level.available_qty, ships=level.location.ships_orders)
            for level in levels]


@dataclass(frozen=True)
class AisleSaleResult:
    order: Order
    change: int


@retry_on_conflict
@transaction.atomic
def till_aisle_sale(*, register_session: RegisterSession, code: str, quantity: int, source, method: str,
                    tenders: Sequence[TenderIn], acting_user, customer: Customer | None = None,
                    address: dict | None = None, name: str = "", phone: str = "") -> AisleSaleResult:
    """The endless aisle: an item this store does not have on the shelf, sold at the till from
    ``source``'s stock: a normal order through the store's POS channel (``order_place``: a
    reservation at ``source``), shipped from there to ``address`` (``method`` ship) or held there
    for pickup at this store (``method`` pickup: a transfer from ``source`` to this store carrying
    the order's hold is requested, ``orders.aisle``; the order is ready when it is received),
    paid now at the till through the one tender step. All or nothing: InvalidOrder, OutOfStock
    or PermissionDenied and nothing is written."""
    from .services import ContactIn, FulfillmentIn, LineIn, order_place

    session = RegisterSession.objects.select_related("register__location").get(pk=register_session.pk)
    store = session.register.location
    if acting_user is not None and not roles.can_act_at(acting_user, store):
        raise PermissionDenied(_("You can only sell at your own store's tills."))
    errors: dict[str, list[str]] = {}
    if not session.is_open:
        errors["register"] = [_("This register is closed: open it before taking money.")]
    variant = variant_lookup(code)
    if variant is None:
        errors["code"] = [_("No item has the barcode or SKU %(code)s.") % {"code": scan_normalise(code) or "—"}]
    if source is None or source == store:
        errors["source"] = [_("Choose the location the item comes from.")]
    if method not in FulfillmentMethod.values:
        errors["method"] = [_("Choose home delivery or pickup at this store.")]
    if errors:
        raise InvalidOrder(errors)
    if method == FulfillmentMethod.SHIP:
        fulfillment = FulfillmentIn(method=FulfillmentMethod.SHIP, location=source.code, address=dict(address or {}))
    else:
        fulfillment = FulfillmentIn(method=FulfillmentMethod.PICKUP, location=store.code, source=source.code)
    order = order_place(channel=channels.pos_channel(store), customer=customer,
                        lines=[LineIn(sku=variant.sku, quantity=quantity)], fulfillment=fulfillment,
                        contact=ContactIn(name=name, phone=phone), payment_method=_payment_method(tenders),
                        acting_user=acting_user)
    taken = payment_take(order=order, tenders=tenders, register_session=session, acting_user=acting_user)
    if method == FulfillmentMethod.PICKUP:
        from .aisle import aisle_transfer_request

        aisle_transfer_request(fulfillment=order.fulfillments.select_related("order", "location").get(),
                               source=source, acting_user=acting_user)
    order.refresh_from_db()
    return AisleSaleResult(order=order, change=taken.change)


# --- reads: the till's sales and receipts ------------------------------------------------------

@dataclass(frozen=True)
class Receipt:
    """What a till receipt prints (a qualified simplified invoice, 適格簡易請求書) and the API's
    receipt returns: the order's invoice (``orders.selectors.order_invoice``: seller, registration
    number, items with ※ on reduced-rate ones, totals and tax per rate) with the tenders and the
    change, the store and register, and whether this is a reprint."""

    sale: TillSale
    invoice: object  # orders.selectors.Invoice
    payments: list[Payment]
    refunds: list[Payment]
    change: int
    reprint: bool

    @property
    def order(self) -> Order:
        return self.sale.order

    @property
    def register(self):
        return self.sale.register_session.register

    @property
    def location(self):
        return self.sale.register_session.register.location


def till_sale_get(*, number: str, locations=None) -> TillSale:
    """The till sale of order ``number`` (DoesNotExist outside ``locations`` when given)."""
    sales = TillSale.objects.select_related("order__channel", "order__customer", "register_session__register__location",
                                            "sold_by")
    if locations is not None:
        sales = sales.filter(register_session__register__location__in=locations)
    return sales.get(order__number=number)


def till_receipt(sale: TillSale) -> Receipt:
    """The receipt of ``sale`` (five queries whatever the number of lines)."""
    from .selectors import order_invoice

    payments = list(Payment.objects.filter(order=sale.order).order_by("created_at", "id"))
    return Receipt(sale=sale, invoice=order_invoice(sale.order), payments=[p for p in payments if p.amount > 0],
                   refunds=[p for p in payments if p.amount < 0], change=sale.change, reprint=sale.receipt_prints > 1)


def till_recent_sales(*, register_session: RegisterSession, limit: int = 10) -> list[TillSale]:
    """The session's latest sales, newest first (one query)."""
    return list(TillSale.objects.filter(register_session=register_session).select_related("order")
                .order_by("-sold_at", "-id")[:limit])
