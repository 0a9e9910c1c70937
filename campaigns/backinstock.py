"""Back-in-stock subscriptions: a customer asks to be told once when a variant that is out of
stock comes back, online or at one store (``BackInStockSubscription``). The storefront's product
page, the customer's account, the API and the console call the services here; the journey engine
sends the notices through the last three functions.

**Where availability counts** (the rule every function here applies):

* a subscription **at a store** (``location`` set) is satisfied when the variant has units
  available (``on_hand - reserved - safety_stock > 0``, inventory's ``StockLevel``) at that
  store, and the store is active;
* a subscription **with no store** means *online*: the variant can be delivered, i.e. it has
  units available at an active location that ships orders (``Location.ships_orders``). That is
  where ``orders.services.order_place`` takes a delivery's stock from (it tries each shipping
  location in turn); the product page's per-store table is about pickup and walking in, not
  about delivery.

A product that is unpublished (``Product.is_active`` false: the storefront no longer shows or
sells it) is *discontinued* here: nobody can subscribe to it, and its open subscriptions are never
"still available". Backorder and pre-order products (``stock_policy``) can be ordered at zero
stock, so they are never waited for.

**For the journey engine** (it sends; nothing here sends anything):

1. when a variant's availability at a location goes from zero to positive, it asks
   ``back_in_stock_waiting(variant_id=..., location_id=...)`` for the open subscriptions that
   the change may satisfy;
2. at send time it checks ``back_in_stock_still_available(subscription)``;
3. it claims each subscription with ``back_in_stock_mark_notified(subscription_ids=[id])`` and
   sends only when that returned 1 (a conditional UPDATE: a retried job or a second worker gets
   0, so each subscriber is notified once).
"""

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from inventory.models import StockLevel, StockPolicy, Variant
from kernel.models import Location

from .errors import BackInStockRefused
from .models_backinstock import OPEN, BackInStockChannel, BackInStockSource, BackInStockSubscription

__all__ = [
    "back_in_stock_cancel", "back_in_stock_mark_notified", "back_in_stock_still_available",
    "back_in_stock_subscribe", "back_in_stock_waiting", "BackInStockChannel", "BackInStockSource",
]


# --- where availability counts ------------------------------------------------------------------

def shipping_locations() -> QuerySet[Location]:
    """Where an online (delivery) order's stock comes from: active locations that ship orders."""
    return Location.objects.active().filter(ships_orders=True)


def subscribable_stores() -> QuerySet[Location]:
    """The stores a customer may choose: where customers can go (stores, pop-ups, pickup points)."""
    return Location.objects.public()


def _available_levels(variant_id: int, location_id: int | None) -> QuerySet[StockLevel]:
    levels = StockLevel.objects.with_available().filter(variant_id=variant_id, available_qty__gt=0)
    if location_id is None:
        return levels.filter(location__in=shipping_locations())
    return levels.filter(location_id=location_id, location__is_active=True)


def is_available(*, variant_id: int, location_id: int | None) -> bool:
    """Units available now for a subscription at ``location_id`` (``None``: online), one query."""
    return _available_levels(variant_id, location_id).exists()


def discontinued_message(product) -> str:
    return _("%(product)s is no longer sold, so it will not come back in stock and we cannot let you "
             "know.") % {"product": product.name}


def _label(variant: Variant) -> str:
    return " ".join(part for part in (variant.product.name, variant.label) if part)


# --- the services ----------------------------------------------------------------------------------

@transaction.atomic
def back_in_stock_subscribe(*, customer: Customer, variant: Variant, location: Location | None = None,
                            source: str, channel: str = "", acting_user=None
                            ) -> tuple[BackInStockSubscription, bool]:
    """Ask to be told when ``variant`` is back (at ``location``; ``None``: online). Returns the
    subscription and whether it is new: an open one for the same variant and place is returned as
    it is (idempotent). Raises ``BackInStockRefused`` saying why when the product is discontinued,
    can be ordered now (backorder, pre-order), is in stock there now, or the place is not a store
    customers can use."""
    if customer.erased_at is not None:
        raise BackInStockRefused("no_customer", _("This customer's record was erased."))
    product = variant.product
    if not product.is_active:
        raise BackInStockRefused("discontinued", discontinued_message(product))
    if location is not None and not subscribable_stores().filter(pk=location.pk).exists():
        raise BackInStockRefused("not_a_store", _("%(store)s is not a store you can choose.")
                                 % {"store": location.name})
    if channel and channel not in BackInStockChannel.values:
        raise BackInStockRefused("invalid_channel", _("Choose email, SMS or LINE."))
    open_ones = BackInStockSubscription.objects.open().filter(customer=customer, variant=variant, location=location)
    existing = open_ones.first()
    if existing is not None:
        return existing, False
    if product.stock_policy != StockPolicy.NORMAL:
        raise BackInStockRefused("orderable", _("%(item)s can be ordered now: we send it as soon as it arrives.")
                                 % {"item": _label(variant)})
    if is_available(variant_id=variant.pk, location_id=location.pk if location else None):
        if location is None:
            message = _("%(item)s is in stock online now: add it to your cart instead.") % {"item": _label(variant)}
        else:
            message = _("%(item)s is in stock at %(store)s now: you can buy it there or order it for pickup.") % {
                "item": _label(variant), "store": location.name}
        raise BackInStockRefused("in_stock", message)
    try:
        with transaction.atomic():
            subscription = BackInStockSubscription.objects.create(
                customer=customer, variant=variant, location=location, source=source, channel=channel)
    except IntegrityError:  # the same request, twice at once: the other one's row
        existing = open_ones.first()
        if existing is None:
            raise
        return existing, False
    return subscription, True


@transaction.atomic
def back_in_stock_cancel(*, subscription: BackInStockSubscription, acting_user=None) -> BackInStockSubscription:
    """Stop waiting. Cancelling one already notified or cancelled changes nothing. Whose it is
    (a customer may cancel only their own) is the caller's check."""
    now = timezone.now()
    user = acting_user if getattr(acting_user, "is_authenticated", False) else None
    changed = BackInStockSubscription.objects.filter(OPEN, pk=subscription.pk).update(
        cancelled_at=now, cancelled_by=user)
    if changed:
        subscription.cancelled_at, subscription.cancelled_by = now, user
    else:
        subscription.refresh_from_db(fields=["notified_at", "cancelled_at", "cancelled_by"])
    return subscription


# --- for the journey engine ------------------------------------------------------------------------

def back_in_stock_waiting(*, variant_id: int, location_id: int | None) -> QuerySet[BackInStockSubscription]:
    """The open subscriptions that units of ``variant_id`` becoming available at ``location_id``
    may satisfy, oldest first: those at that store, plus the online ones (no store) when that
    location ships orders (``location_id=None``: the online ones alone). Leaves out erased
    customers and discontinued products. Customer, variant, product and location come with them
    (no query per row). Re-check each with ``back_in_stock_still_available`` at send time."""
    place = Q(location__isnull=True)
    if location_id is not None:
        place = Q(location_id=location_id)
        if shipping_locations().filter(pk=location_id).exists():
            place |= Q(location__isnull=True)
    return (BackInStockSubscription.objects.open().filter(place, variant_id=variant_id)
            .filter(customer__erased_at__isnull=True, variant__product__is_active=True)
            .select_related("customer", "variant__product", "location").order_by("created_at", "id"))


def back_in_stock_mark_notified(*, subscription_ids) -> int:
    """Mark these subscriptions notified, once: a conditional UPDATE of the open ones only, so a
    repeat (a retried job, a second worker) marks nothing. Returns how many it marked; with one id,
    1 means "this caller sends", 0 "someone already did (or it was cancelled)"."""
    ids = list(subscription_ids)
    if not ids:
        return 0
    return BackInStockSubscription.objects.filter(OPEN, pk__in=ids).update(notified_at=timezone.now())


def back_in_stock_still_available(subscription: BackInStockSubscription) -> bool:
    """Whether the notice is still true and still wanted at send time: the subscription is open,
    the customer not erased, the product still sold and units available at its place (one or two
    queries)."""
    subscription.refresh_from_db(fields=["notified_at", "cancelled_at"])
    if not subscription.is_open:
        return False
    variant = Variant.objects.select_related("product").get(pk=subscription.variant_id)
    customer_erased = Customer.objects.filter(pk=subscription.customer_id, erased_at__isnull=False).exists()
    if customer_erased or not variant.product.is_active:
        return False
    return is_available(variant_id=subscription.variant_id, location_id=subscription.location_id)


# --- reads for the pages and the API -------------------------------------------------------------

def customer_subscriptions(*, customer: Customer, include_closed: bool = True) -> QuerySet[BackInStockSubscription]:
    """A customer's subscriptions, open first then newest, with what the list shows (one query)."""
    rows = BackInStockSubscription.objects.filter(customer=customer)
    if not include_closed:
        rows = rows.open()
    return (rows.select_related("variant__product", "location")
            .order_by(F("cancelled_at").asc(nulls_first=True), F("notified_at").asc(nulls_first=True),
                      "-created_at", "-id"))


def visible_subscriptions(*, locations: QuerySet[Location] | None) -> QuerySet[BackInStockSubscription]:
    """Subscriptions staff may see: every one (``locations=None``: HQ), or those at ``locations``
    (store staff: their own store; online ones are HQ's)."""
    rows = BackInStockSubscription.objects.all()
    if locations is not None:
        rows = rows.filter(location__in=locations)
    return rows


def waiting_counts(*, locations: QuerySet[Location] | None, location: Location | None = None,
                   online: bool = False, sku: str = "") -> QuerySet:
    """Who is waiting for what, for buying: one row per (variant, store) with open subscriptions,
    the number waiting and the oldest and newest, most waited-for first. Dicts with ``variant``
    and ``location`` ids; ``waiting_rows`` attaches the objects (constant queries)."""
    rows = visible_subscriptions(locations=locations).open()
    if location is not None:
        rows = rows.filter(location=location)
    elif online:
        rows = rows.filter(location__isnull=True)
    if sku:
        rows = rows.filter(Q(variant__sku__iexact=sku.strip()) | Q(variant__product__code__iexact=sku.strip()))
    return (rows.order_by().values("variant", "location")
            .annotate(waiting=Count("id"), oldest=Min("created_at"), newest=Max("created_at"))
            .order_by("-waiting", "oldest", "variant", "location"))


def waiting_rows(rows) -> list[dict]:
    """``waiting_counts`` rows (a page of them) with their variant (and product) and store: two queries."""
    rows = list(rows)
    variants = Variant.objects.select_related("product").in_bulk({row["variant"] for row in rows})
    locations = Location.objects.in_bulk({row["location"] for row in rows if row["location"]})
    return [{**row, "variant": variants.get(row["variant"]), "location": locations.get(row["location"])}
            for row in rows]
