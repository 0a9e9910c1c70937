"""Reads of the orders domain: the console dashboard, the pickup desk, order lists (console
and API), the storefront's order pages and the invoice of an order.

Each function returns rows with everything its page shows, in a fixed number of queries.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, When
from django.urls import reverse
from django.utils.translation import gettext

from brandkit.theme import theme
from inventory.models import StockLevel
from kernel.japan import normalize_phone, normalize_text, search_key
from kernel.models import ChannelKind, Location
from kernel.subjects import SubjectLabel

from .models import (
    DESK_PHONE_MARK,
    PICKUP_CODE_ALPHABET,
    PICKUP_CODE_LENGTH,
    DeskSearchToken,
    Fulfillment,
    FulfillmentMethod,
    FulfillmentStatus,
    Order,
    OrderDiscount,
    OrderEmail,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    OrderNote,
    OrderStatus,
    OrderTag,
)
from .tax import TaxSummary, summarise_document


def _today_bounds():
    from kernel.console import today_bounds

    return today_bounds()


def orders_at(*, locations) -> QuerySet[Order]:
    """Orders a scoped user may see: fulfilled at, or sold through a POS of, their locations.
    The one definition of that scope: the console's lists and the API's both start here."""
    fulfilled_here = Fulfillment.objects.filter(location__in=locations).values("order_id")
    return Order.objects.filter(Q(pk__in=fulfilled_here) | Q(channel__location__in=locations))


def sales_today_by_channel(*, locations=None) -> list[dict]:
    """Orders placed today (shop time zone) per channel: count and yen, cancelled left out.
    ``locations`` limits to orders fulfilled at / sold at those locations (None: all)."""
    start, end = _today_bounds()
    orders = Order.objects.all() if locations is None else orders_at(locations=locations)
    rows = (
        orders.filter(created_at__gte=start, created_at__lt=end)
        .exclude(status=OrderStatus.CANCELLED)
        .values("channel_id", "channel__name", "channel__kind")
        .annotate(orders=Count("id"), amount=Sum("total"))
        .order_by("-amount", "channel__name")
    )
    return [
        {"channel": row["channel__name"], "kind": row["channel__kind"],
         "kind_label": ChannelKind(row["channel__kind"]).label, "orders": row["orders"],
         "amount": row["amount"] or 0}
        for row in rows
    ]


def pickups_waiting_by_location(*, locations=None) -> list[dict]:
    """Per pickup location: fulfilments still reserved (to prepare) and ready (waiting for
    the customer)."""
    rows = (
        Fulfillment.objects.awaiting_pickup(locations)
        .values("location_id", "location__name", "location__code")
        .annotate(
            reserved=Count("id", filter=Q(status=FulfillmentStatus.RESERVED)),
            ready=Count("id", filter=Q(status=FulfillmentStatus.READY)),
        )
        .order_by("location__code")
    )
    return [
        {"location_id": row["location_id"], "location": row["location__name"], "code": row["location__code"],
         "reserved": row["reserved"], "ready": row["ready"]}
        for row in rows
    ]


def _with_lines(fulfillments: QuerySet[Fulfillment]) -> QuerySet[Fulfillment]:
    # the transfer: an endless-aisle pickup whose items are still on their way cannot be made ready
    return fulfillments.select_related("order__customer", "order__channel", "location",
                                       "transfer__source").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
    )


# The desk's tabs: waiting orders to prepare, ready ones, and ("done") the rest, which only a
# search shows (an order collected or cancelled, asked about at the counter).
DESK_TABS = ("reserved", "ready", "done")
DESK_SEARCH_LIMIT = 50
# A search counts its matches up to this many; beyond, the desk says "1,000+".
DESK_COUNT_CAP = 1000
_PHONE_QUERY = re.compile(r"\+?[0-9\s().\-\u2010-\u2015\u2212\u30fc]+")
_ORDER_NUMBER = re.compile(r"[a-z][0-9]{8}")
_WAITING = (FulfillmentStatus.RESERVED, FulfillmentStatus.READY)


def _tokens_at(location, token: str) -> QuerySet:
    return DeskSearchToken.objects.filter(location=location, token=token).values("fulfillment_id")


class _TokenProbe(Exists):
    """EXISTS (the token of this fulfilment) that PostgreSQL keeps as a probe per row: OFFSET 0
    stops it from turning the test into a join, so the waiting fulfilments of the store (a few
    hundred, from the desk index) drive the query and each costs one primary-key lookup in the
    token index, instead of every order of a common name being checked for its status."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


def _token_condition(location, token: str, *, probe: bool) -> Q:
    if probe:
        return Q(_TokenProbe(DeskSearchToken.objects.filter(location=location, token=token,
                                                            fulfillment=OuterRef("pk"))))
    return Q(pk__in=_tokens_at(location, token))


def _desk_condition(*, location, query: str, probe: bool = False) -> Q | None:
    """What a desk query matches among ``location``'s pickup fulfilments, chosen by what was
    typed; each is an index range of that one store (``DeskSearchToken``, orders 0015):

    - an order number (``W00001234``): that order;
    - a phone number: four digits are its last four, ten or more the whole number (a token
      each); another length of digits, any part of it (the order's ``phone_digits``);
    - an email (with @): any part of the order's search text;
    - otherwise a name in kanji or kana: one character, the start of a family or given name;
      two, a token; more, every pair of its characters a token and the whole of it in the
      order's search text;
    - and whatever has the shape of a pickup code (six letters and digits of the code
      alphabet: TANAKA has it too), that code besides: the two as a UNION, never an OR, which
      would make the database test every order of the store.

    ``probe``: each token tested per fulfilment (``_TokenProbe``), for the waiting ones.
    None for a query that normalises to nothing."""
    key = search_key(query)
    if not key:
        return None
    here = Fulfillment.objects.filter(location=location, method=FulfillmentMethod.PICKUP)
    phone = normalize_phone(query)
    if _ORDER_NUMBER.fullmatch(key):
        return Q(order__number=key.upper())
    if len(phone) >= 4 and _PHONE_QUERY.fullmatch(normalize_text(query)):
        if len(phone) == 4 or len(phone) >= 10:
            match = _token_condition(location, DESK_PHONE_MARK + phone, probe=probe)
        else:
            match = Q(order__phone_digits__contains=phone)
    elif "@" in key:
        match = Q(order__search_text__contains=key)
    elif len(key) <= 2:
        match = _token_condition(location, key, probe=probe)
    else:
        match = Q(order__search_text__contains=key)
        for pair in sorted({key[i:i + 2] for i in range(len(key) - 1)}):
            match &= _token_condition(location, pair, probe=probe)
    if len(key) == PICKUP_CODE_LENGTH and all(ch in PICKUP_CODE_ALPHABET for ch in key.upper()):
        by_code = here.filter(pickup_code=key.upper()).values("pk").order_by()
        return Q(pk__in=by_code.union(here.filter(match).values("pk").order_by()))
    return match


@dataclass(frozen=True)
class DeskSearch:
    """A desk search's first page (waiting orders first, then the newest) and how many matched,
    counted up to ``DESK_COUNT_CAP`` (``capped``: more than that)."""

    rows: list[Fulfillment]
    total: int
    capped: bool


def desk_search(*, location, query: str) -> DeskSearch:
    """Every pickup order at ``location`` matching ``query``, in any state (``_desk_condition``):
    the waiting ones (to prepare, ready) first, then the others, newest first, at most
    ``DESK_SEARCH_LIMIT`` rows, and the number of matches up to ``DESK_COUNT_CAP``. Four queries
    (the waiting ids, the other ids, the rows, their lines), each cut at the cap by the store's
    index, however common the name (bench/pickup_desk.py)."""
    query = (query or "").strip()
    condition = _desk_condition(location=location, query=query)
    if condition is None:
        return DeskSearch(rows=[], total=0, capped=False)
    here = Fulfillment.objects.filter(location=location, method=FulfillmentMethod.PICKUP)
    # the waiting ones: the store's few to prepare or ready (the desk index), each tested
    waiting = list(here.filter(status__in=_WAITING).filter(_desk_condition(location=location, query=query, probe=True))
                   .order_by("-pk").values_list("pk", flat=True)[:DESK_COUNT_CAP + 1])
    # the others: the store's token ranges, newest first, read up to the cap
    others = list(here.filter(condition).exclude(status__in=_WAITING).order_by("-pk")
                  .values_list("pk", flat=True)[:max(0, DESK_COUNT_CAP + 1 - len(waiting))])
    ids = (waiting + others)[:DESK_SEARCH_LIMIT]
    waiting_first = Case(When(status__in=_WAITING, then=0), default=1)
    rows = list(_with_lines(Fulfillment.objects.filter(pk__in=ids)).order_by(waiting_first, "-pk"))
    total = len(waiting) + len(others)
    return DeskSearch(rows=rows, total=min(total, DESK_COUNT_CAP), capped=total > DESK_COUNT_CAP)


def pickup_desk(*, location, status: str = "", query: str = "", limit: int = 100) -> list[Fulfillment]:
    """Pickup orders at ``location``. Without ``query``: the waiting ones, ``status`` "reserved"
    (to prepare) or "ready" (both when blank), two queries. With ``query``: the first page of
    ``desk_search`` (every state, whatever ``status`` says); each row's ``tab`` tells which tab
    it is on."""
    query = (query or "").strip()
    if query:
        return desk_search(location=location, query=query).rows
    fulfillments = Fulfillment.objects.filter(method=FulfillmentMethod.PICKUP, location=location)
    if status in (FulfillmentStatus.RESERVED, FulfillmentStatus.READY):
        fulfillments = fulfillments.filter(status=status)
    else:
        fulfillments = fulfillments.filter(status__in=_WAITING)
    return list(_with_lines(fulfillments).order_by("status", "order__created_at", "id")[:limit])


def pickups_to_prepare_count(*, locations) -> int:
    """Pickup orders placed and not yet prepared at ``locations``: the console's notification
    badge. One COUNT on the desk index, whatever the number of orders."""
    return Fulfillment.objects.filter(location__in=locations, method=FulfillmentMethod.PICKUP,
                                      status=FulfillmentStatus.RESERVED).count()


def pickup_get(*, pk: int) -> Fulfillment:
    return _with_lines(Fulfillment.objects.filter(method=FulfillmentMethod.PICKUP)).get(pk=pk)


def pickup_counts(*, location) -> dict[str, int]:
    counts = Fulfillment.objects.awaiting_pickup([location]).aggregate(
        reserved=Count("id", filter=Q(status=FulfillmentStatus.RESERVED)),
        ready=Count("id", filter=Q(status=FulfillmentStatus.READY)),
    )
    return {"reserved": counts["reserved"] or 0, "ready": counts["ready"] or 0}


def order_list(
    *, locations=None, status: str = "", channel: str = "", location=None, query: str = "", tag: str = ""
) -> QuerySet[Order]:
    """Orders for the console list, newest first, with their channel, customer, fulfilments and
    tags: a fixed number of queries per page. ``tag`` keeps the orders with that staff tag."""
    orders = Order.objects.all() if locations is None else orders_at(locations=locations)
    if status:
        orders = orders.filter(status=status)
    if tag:
        orders = orders.filter(pk__in=OrderTag.objects.filter(name=tag).values("order_id"))
    if channel:
        orders = orders.filter(channel__code=channel)
    if location is not None:
        orders = orders.filter(pk__in=Fulfillment.objects.filter(location=location).values("order_id"))
    if query:
        key = search_key(query)
        condition = Q(pk__in=Order.objects.search(query).values("pk"))
        if key:
            condition |= Q(customer__search_text__contains=key)
        orders = orders.filter(condition)
    return orders.select_related("channel", "customer").prefetch_related(
        Prefetch("fulfillments", queryset=Fulfillment.objects.select_related("location").order_by("id")),
        Prefetch("tags", queryset=OrderTag.objects.order_by("name")),
    ).order_by("-created_at", "-id")


def order_tags_in_use(*, locations=None, limit: int = 50) -> list[str]:
    """The tags on the orders a user may see, most used first: the order list's tag filter."""
    tags = OrderTag.objects.all()
    if locations is not None:
        tags = tags.filter(order__in=orders_at(locations=locations))
    return list(tags.values_list("name", flat=True).annotate(n=Count("id")).order_by("-n", "name")[:limit])


def order_detail(*, number: str, locations=None) -> Order:
    """One order with lines, fulfilments and events; ``locations`` limits to orders the
    user may see (raises Order.DoesNotExist otherwise)."""
    orders = Order.objects.all() if locations is None else orders_at(locations=locations)
    return orders.select_related("channel", "customer", "placed_by").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
        Prefetch("fulfillments", queryset=Fulfillment.objects.select_related("location", "transfer__source")
                 .order_by("id")),
        Prefetch("events", queryset=OrderEvent.objects.select_related("acting_user").order_by("created_at", "id")),
        Prefetch("notes", queryset=OrderNote.objects.select_related("author").order_by("-created_at", "-id")),
        Prefetch("tags", queryset=OrderTag.objects.order_by("name")),
    ).get(number=number)


def customer_orders(*, customer, limit: int = 50) -> QuerySet[Order]:
    return customer.orders.select_related("channel").prefetch_related(
        Prefetch("fulfillments", queryset=Fulfillment.objects.select_related("location").order_by("id"))
    ).order_by("-created_at", "-id")[:limit]


# --- storefront and documents: the customer's own orders, invoices, pickup stores -------

def checkout_order(*, customer, token: str) -> Order | None:
    """The order this customer's checkout ``token`` already placed (a form submitted again)."""
    if not token:
        return None
    return Order.objects.filter(customer=customer, checkout_token=token).only("number").first()


def customer_order(*, customer, number: str) -> Order:
    """One order of this customer (the storefront's view of it) with lines, fulfilments and
    events; raises Order.DoesNotExist for anybody else's order."""
    return (
        Order.objects.filter(customer=customer, number=number)
        .select_related("channel")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
            Prefetch("fulfillments", queryset=Fulfillment.objects.select_related("location").order_by("id")),
            Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")),
            Prefetch("discounts", queryset=OrderDiscount.objects.order_by("id")),
        )
        .get()
    )


@dataclass(frozen=True)
class Invoice:
    """A qualified simplified invoice (適格簡易請求書) of one order."""

    order: Order
    seller_name: str
    registration_number: str
    issued_at: datetime
    lines: list[OrderLine]
    tax: TaxSummary  # per rate on what is paid: lines after discounts, delivery after its discount
    discounts: list[OrderDiscount] = field(default_factory=list)  # the offers applied

    @property
    def subtotal(self) -> int:
        """The goods before discounts."""
        return sum(line.line_total for line in self.lines)

    @property
    def discount_total(self) -> int:
        """Taken off the goods."""
        return sum(line.discount for line in self.lines)

    @property
    def shipping_fee(self) -> int:
        return self.order.shipping_fee

    @property
    def shipping_discount(self) -> int:
        return self.order.shipping_discount

    @property
    def shipping_charged(self) -> int:
        return self.order.shipping_fee - self.order.shipping_discount

    @property
    def savings(self) -> int:
        """Everything the discounts took off: the goods' and the delivery's."""
        return self.discount_total + self.shipping_discount

    @property
    def has_reduced(self) -> bool:
        return self.tax.has_reduced

    @property
    def reduced_rate(self) -> int | None:
        return self.tax.reduced_rate


def invoice_seller_name() -> str:
    """The seller a qualified invoice names: ``INVOICE_SELLER_NAME`` when the server sets it, else the
    company name in the default brand's kit (the name its legal footer shows), else the brand name."""
    brand = theme()
    return settings.INVOICE_SELLER_NAME or brand.legal_name or brand.brand_name


def order_invoice(order: Order) -> Invoice:
    """The invoice of ``order`` for the storefront receipt, the console and emails: items
    (reduced-rate ones flagged by ``line.is_reduced_rate``), totals and tax per rate,
    rounded once per rate for the whole document (orders.tax.summarise), on the discounted
    amounts and the delivery fee charged (standard rate). Each line shows its amount before
    discount, its discount with the reason, and what is paid (``OrderLine.amount``)."""
    lines = list(order.lines.all())
    return Invoice(
        order=order,
        seller_name=invoice_seller_name(),
        registration_number=settings.INVOICE_REGISTRATION_NUMBER,
        issued_at=order.created_at,
        lines=lines,
        tax=order_tax(order, lines),
        discounts=list(order.discounts.all()),
    )


def order_tax(order: Order, lines: list[OrderLine] | None = None) -> TaxSummary:
    """Tax per rate of an order: its lines after discounts and the delivery fee it charges."""
    lines = list(order.lines.all()) if lines is None else lines
    return summarise_document(lines=((line.amount, line.tax_rate) for line in lines),
                              shipping=order.shipping_fee - order.shipping_discount)


@dataclass(frozen=True)
class PickupOption:
    location: Location
    has_everything: bool  # every line is available in the wanted quantity right now


def pickup_options(*, lines: list[tuple[int, int]]) -> list[PickupOption]:
    """Every pickup store, and whether it has all ``(variant_id, quantity)`` lines in
    stock now: two queries whatever the number of stores or lines."""
    locations = list(Location.objects.pickup_points().order_by("prefecture", "code"))
    wanted = dict(lines)
    enough: dict[int, int] = {}
    if wanted and locations:
        for level in StockLevel.objects.filter(
            variant_id__in=list(wanted), location_id__in=[location.id for location in locations]
        ).select_related("variant__product").only(
            "variant_id", "location_id", "on_hand", "reserved", "safety_stock", "variant__product__stock_policy"
        ):
            policy = level.variant.product.stock_policy
            if policy != "normal" or level.available >= wanted[level.variant_id]:
                enough[level.location_id] = enough.get(level.location_id, 0) + 1
    return [
        PickupOption(location=location, has_everything=bool(wanted) and enough.get(location.id, 0) == len(wanted))
        for location in locations
    ]


# --- warehouse: the shipments desk ------------------------------------------------------

def shipments_waiting(*, location, query: str = "", limit: int = 100) -> QuerySet[Fulfillment]:
    """Delivery fulfilments to pack and ship at ``location`` (status reserved), oldest first;
    ``query`` matches the order number, customer name (kanji or kana), email or phone."""
    fulfillments = Fulfillment.objects.filter(method=FulfillmentMethod.SHIP, location=location,
                                              status=FulfillmentStatus.RESERVED)
    query = (query or "").strip()
    if query:
        key = search_key(query)
        condition = Q(order__in=Order.objects.search(query).values("pk"))
        if key:
            condition |= Q(order__customer__search_text__contains=key)
        fulfillments = fulfillments.filter(condition)
    return _with_tracking(fulfillments).order_by("order__created_at", "id")[:limit]


def _with_tracking(fulfillments: QuerySet[Fulfillment]) -> QuerySet[Fulfillment]:
    return _with_lines(fulfillments).prefetch_related(
        Prefetch("events", queryset=OrderEvent.objects.filter(kind=OrderEventKind.TRACKING).order_by("id"), to_attr="tracking")
    )


def shipment_get(*, pk: int) -> Fulfillment:
    return _with_tracking(Fulfillment.objects.filter(method=FulfillmentMethod.SHIP)).get(pk=pk)


@dataclass
class PickRow:
    """One SKU to pick for a batch of orders: where it sits, the units of all the orders, and
    how many go to each order."""

    sku: str
    barcode: str
    product_name: str
    variant_label: str
    zone: str = ""  # the stock level's zone / bin at the location ("A-03"), "" when not set
    quantity: int = 0
    per_order: dict[str, int] = field(default_factory=dict)  # order number: units, oldest order first

    @property
    def orders(self) -> list[str]:
        return list(self.per_order)


@dataclass(frozen=True)
class PickZone:
    """The rows of one zone, walked in bin then SKU order; ``name`` "" gathers the items with no
    zone set (printed last)."""

    name: str
    rows: list[PickRow]

    @property
    def units(self) -> int:
        return sum(row.quantity for row in self.rows)


@dataclass(frozen=True)
class PickList:
    location: Location
    fulfillments: list[Fulfillment]  # the orders batched, oldest first
    zones: list[PickZone]  # by zone, then bin and SKU; no zone last

    @property
    def rows(self) -> list[PickRow]:
        return [row for zone in self.zones for row in zone.rows]

    @property
    def zone_count(self) -> int:
        """The zones walked (the items with no zone are not one)."""
        return sum(1 for zone in self.zones if zone.name)

    @property
    def units(self) -> int:
        return sum(zone.units for zone in self.zones)


PICK_LIST_LIMIT = 200
_DIGITS = re.compile(r"(\d+)")


def pick_zone_of(label: str) -> str:
    """The zone a zone / bin label belongs to: the part before its first hyphen ("A-03-2" is in
    zone "A"; "MEZZANINE" is its own zone)."""
    return label.split("-", 1)[0].strip()


def _natural(label: str) -> tuple:
    """Sort key putting bin A-2 before A-10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in _DIGITS.split(label) if part)


def pick_list(*, location, numbers: Collection[str] = (), limit: int = PICK_LIST_LIMIT) -> PickList:
    """The pick list of the delivery orders waiting at ``location`` (reserved, to ship), oldest
    first, at most ``limit``; ``numbers`` keeps those orders only. Items are summed across the
    orders by SKU, each with the units for every order, and grouped by the zone of their stock
    level at the location (``StockLevel.zone``, "A-03": zone A, bin 03), zones and bins in
    natural order (A-2 before A-10), then SKU; items with no zone come last. Two queries,
    whatever the number of orders or lines."""
    fulfillments = Fulfillment.objects.filter(location=location, method=FulfillmentMethod.SHIP,
                                              status=FulfillmentStatus.RESERVED)
    if numbers:
        fulfillments = fulfillments.filter(order__number__in=list(numbers))
    batch = list(fulfillments.select_related("order").order_by("order__created_at", "id")[:limit])
    position = {f.pk: index for index, f in enumerate(batch)}
    zone = StockLevel.objects.filter(location=location, variant=OuterRef("variant")).values("zone")[:1]
    lines = (OrderLine.objects.filter(fulfillment__in=list(position))
             .annotate(zone=Subquery(zone))
             .values_list("sku", "variant__barcode", "product_name", "variant_label", "zone", "quantity",
                          "order__number", "fulfillment_id"))
    rows: dict[str, PickRow] = {}
    for sku, barcode, name, label, bin_label, quantity, number, _fulfillment in sorted(
            lines, key=lambda line: position[line[7]]):
        row = rows.setdefault(sku, PickRow(sku=sku, barcode=barcode or "", product_name=name, variant_label=label,
                                           zone=bin_label or ""))
        row.quantity += quantity
        row.per_order[number] = row.per_order.get(number, 0) + quantity
    zones: dict[str, list[PickRow]] = {}
    for row in sorted(rows.values(), key=lambda row: (not row.zone, _natural(row.zone), row.sku)):
        zones.setdefault(pick_zone_of(row.zone), []).append(row)
    return PickList(location=location, fulfillments=batch,
                    zones=[PickZone(name=name, rows=zone_rows) for name, zone_rows in zones.items()])


# --- what customer events are about (kernel.subjects) -------------------------------------

def event_subject_labels(references: Collection[str]) -> dict[str, SubjectLabel]:
    """Labels of ``order:<number>`` subjects, and of ``order:<number>:<email>`` (an email about
    the order). No query: the number is what staff know the order by and the key of its page."""
    labels = {}
    for reference in references:
        number, _sep, email = reference.partition(":")
        labels[reference] = SubjectLabel(
            text=gettext("Order %(number)s") % {"number": number},
            detail=str(OrderEmail(email).label) if email in OrderEmail.values else email,
            url=reverse("console:order_detail", kwargs={"number": number}), permission="orders.view_order")
    return labels


def stock_reference_labels(references: Collection[str]) -> dict[str, SubjectLabel]:
    """Labels of the stock ledger's ``fulfillment:<id>`` references (a pickup handed over, a
    parcel shipped) by the order's number, in one query (inventory.selectors.reference_labels)."""
    ids = [int(reference) for reference in references if reference.isdigit()]
    fulfillments = Fulfillment.objects.filter(pk__in=ids).select_related("order").only(
        "pk", "method", "order__number")
    labels = {}
    for fulfillment in fulfillments:
        number = fulfillment.order.number
        labels[str(fulfillment.pk)] = SubjectLabel(
            text=gettext("Order %(number)s") % {"number": number}, detail=fulfillment.get_method_display(),
            url=reverse("console:order_detail", kwargs={"number": number}), permission="orders.view_order")
    return labels


def shipments_waiting_count(*, locations) -> int:
    """Delivery fulfilments waiting to be packed and shipped at ``locations`` (the dashboard)."""
    return Fulfillment.objects.filter(method=FulfillmentMethod.SHIP, location__in=locations,
                                      status=FulfillmentStatus.RESERVED).count()
# --- returns, refunds and store credit ------------------------------------------------------------

@dataclass(frozen=True)
class ReturnReceipt:
    """A return's receipt (返品伝票): the items back with their value, tax per rate on what was
    refunded, the money given back per tender, and any replacement order."""

    ret: object  # orders.models.Return
    lines: list
    tax: TaxSummary
    refunds: list  # Payment rows (negative amounts) of this return
    seller_name: str
    registration_number: str

    @property
    def value(self) -> int:
        return sum(line.amount for line in self.lines)


def return_receipt(ret) -> ReturnReceipt:
    from .models import Payment

    lines = list(ret.lines.select_related("order_line").order_by("id"))
    refunds = list(Payment.objects.filter(order_id=ret.order_id, amount__lt=0).filter(
        Q(reference=ret.number) | Q(kind="exchange", reference=ret.exchange_order.number if ret.exchange_order_id
                                    else ret.number)).order_by("id"))
    return ReturnReceipt(ret=ret, lines=lines,
                         tax=summarise_document(lines=((line.amount, line.order_line.tax_rate) for line in lines)),
                         refunds=refunds, seller_name=invoice_seller_name(),
                         registration_number=settings.INVOICE_REGISTRATION_NUMBER)


def return_list(*, locations=None, status: str = "", query: str = "", requested: bool = False) -> QuerySet:
    """Returns for the console's list, newest first: ``locations`` limits a scoped user to the
    returns at, or of orders of, their locations; ``query`` matches the return number or code,
    the order's number, pickup code, customer name (kanji or kana), email or phone; ``requested``
    adds every return still waiting to be received (any store may take it)."""
    from .models import Return, ReturnStatus
    from .returns import returns_at, returns_with_lines

    returns = Return.objects.all()
    if locations is not None:
        returns = returns.filter(returns_at(locations=locations, requested=requested))
    if status in ReturnStatus.values:
        returns = returns.filter(status=status)
    query = (query or "").strip()
    if query:
        code = search_key(query).upper()
        returns = returns.filter(Q(number__iexact=query) | Q(code=code) | Q(order__in=Order.objects.search(query)
                                                                           .values("pk")))
    return returns_with_lines(returns).order_by("-created_at", "-id")


def return_code_svg(code: str) -> str:
    """The return code as a QR code, inline SVG markup (no script, no style: CSP-safe)."""
    import segno

    return segno.make(code, error="m").svg_inline(scale=5, border=2, dark="#111", light="#fff", omitsize=True)


def order_payments(order) -> list:
    from .models import Payment

    return list(Payment.objects.filter(order=order).select_related("register_session__register").order_by("id"))
