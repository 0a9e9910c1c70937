"""Orders' tiles on the console dashboard (kernel.dashboard): what a store hands over and takes
back, what a warehouse packs, and for HQ the sales against the week before. Two queries at most."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kernel.dashboard import Tile
from kernel.models import LocationKind

from .models import (
    Fulfillment,
    FulfillmentMethod,
    FulfillmentStatus,
    Order,
    OrderStatus,
    Return,
    ReturnStatus,
)

SALES_DAYS = 7


def dashboard_tiles(*, user, here=None) -> list[Tile]:
    if here is None:
        return _hq_tiles(user)
    if here.kind == LocationKind.WAREHOUSE:
        return _warehouse_tiles(user, here)
    return _store_tiles(user, here)


def _store_tiles(user, here) -> list[Tile]:
    tiles = []
    if user.has_perm("orders.run_pickup_desk"):
        overdue = timezone.now() - timedelta(days=settings.PICKUP_HOLD_DAYS)
        pickups = Fulfillment.objects.filter(location=here, method=FulfillmentMethod.PICKUP).aggregate(
            reserved=Count("id", filter=Q(status=FulfillmentStatus.RESERVED, transfer__isnull=True)),
            aisle=Count("id", filter=Q(status=FulfillmentStatus.RESERVED, transfer__isnull=False)),
            ready=Count("id", filter=Q(status=FulfillmentStatus.READY)),
            uncollected=Count("id", filter=Q(status=FulfillmentStatus.READY, ready_at__lt=overdue)),
        )
        desk = reverse("console:pickup_desk")
        tiles += [
            Tile("pickups_to_prepare", _("Pickups to prepare"), pickups["reserved"], f"{desk}?status=reserved",
                 note=_("reserved, not yet ready"), tone="warn", order=10),
            Tile("pickups_ready", _("Ready for collection"), pickups["ready"], f"{desk}?status=ready",
                 note=ngettext("%(n)d past the hold: call or cancel", "%(n)d past the hold: call or cancel",
                               pickups["uncollected"]) % {"n": pickups["uncollected"]} if pickups["uncollected"]
                 else _("waiting for the customer"), tone="danger" if pickups["uncollected"] else "ok", order=11),
            Tile("aisle_pickups", _("Endless-aisle pickups"), pickups["aisle"], f"{desk}?status=reserved",
                 note=_("sold here, items coming by transfer"), order=14),
        ]
    if user.has_perm("orders.take_returns"):
        returns = Return.objects.filter(location=here).aggregate(
            requested=Count("id", filter=Q(status=ReturnStatus.REQUESTED)),
            received=Count("id", filter=Q(status=ReturnStatus.RECEIVED)))
        tiles.append(Tile("returns_to_process", _("Returns to process"), returns["requested"] + returns["received"],
                          f"{reverse('console:returns')}?status=requested",
                          note=_("%(requested)d to bring in, %(received)d received, not refunded") % returns,
                          order=12))
    return tiles


def _warehouse_tiles(user, here) -> list[Tile]:
    if not user.has_perm("orders.ship_orders"):
        return []
    waiting = Fulfillment.objects.filter(location=here, method=FulfillmentMethod.SHIP,
                                         status=FulfillmentStatus.RESERVED).count()
    return [Tile("orders_to_ship", _("Orders to pack and ship"), waiting, reverse("console:shipments"),
                 note=_("delivery orders to pick, pack and ship"), tone="accent", order=10)]


def _hq_tiles(user) -> list[Tile]:
    if not user.has_perm("orders.view_sales_dashboard"):
        return []
    now = timezone.now()
    since = now - timedelta(days=SALES_DAYS)
    before = since - timedelta(days=SALES_DAYS)
    placed = Order.objects.filter(created_at__gte=before, created_at__lt=now).exclude(status=OrderStatus.CANCELLED)
    sales = placed.aggregate(current=Sum("total", filter=Q(created_at__gte=since)),
                             previous=Sum("total", filter=Q(created_at__lt=since)))
    current, previous = sales["current"] or 0, sales["previous"] or 0
    if previous:
        change = (current - previous) / previous * 100
        note = _("%(change)+.1f%% on the 7 days before") % {"change": change}
    else:
        note = _("nothing in the 7 days before")
    return [Tile("sales_week", _("Net sales, last 7 days"), current, reverse("console:report_sales"), note=note,
                 tone="accent", order=10, money=True)]
