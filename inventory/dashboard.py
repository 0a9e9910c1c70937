"""Inventory's tiles on the console dashboard (kernel.dashboard): transfers to receive and to ship
at a store or warehouse; purchase orders due and counts to finish at a warehouse. Three queries at
most, none for HQ (they do not move stock)."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.dashboard import Tile
from kernel.models import LocationKind

from .selectors import transfers_in_transit


def dashboard_tiles(*, user, here=None) -> list[Tile]:
    if here is None:
        return []
    tiles = []
    if user.has_perm("inventory.view_transfer"):
        transit = transfers_in_transit(locations=[here])
        transfers = reverse("console:transfers")
        tiles.append(Tile("transfers_to_receive", _("Transfers to receive"), transit.incoming,
                          f"{transfers}?status=in_transit&direction=in", note=_("on their way here"), order=20))
        outgoing = transit.to_ship + transit.requested
        # a warehouse ships transfers every day; a store rarely: its tile only when there is one
        if here.kind == LocationKind.WAREHOUSE or outgoing:
            tab = "approved" if transit.to_ship or not transit.requested else "requested"
            tiles.append(Tile("transfers_to_ship", _("Transfers to ship"), outgoing,
                              f"{transfers}?status={tab}&direction=out",
                              note=_("%(approved)d approved, %(requested)d waiting for approval") % {
                                  "approved": transit.to_ship, "requested": transit.requested},
                              tone="warn" if here.kind == LocationKind.WAREHOUSE else "", order=21))
    if here.kind == LocationKind.WAREHOUSE:
        tiles += _warehouse_tiles(user, here)
    return tiles


def _warehouse_tiles(user, here) -> list[Tile]:
    from django.db.models import Count, Q

    from .models import PurchaseOrder, PurchaseOrderStatus, StockCount, StockCountStatus

    tiles = []
    if user.has_perm("inventory.view_purchaseorder"):
        today = timezone.localdate()
        due = (PurchaseOrder.objects.filter(location=here, status__in=[PurchaseOrderStatus.OPEN,
                                                                        PurchaseOrderStatus.PARTIAL])
               .aggregate(due=Count("id", filter=Q(expected_on__lte=today) | Q(expected_on__isnull=True)),
                          later=Count("id", filter=Q(expected_on__gt=today))))
        tiles.append(Tile("receipts_expected", _("Receipts expected"), due["due"], reverse("console:purchase_orders"),
                          note=_("purchase orders due by today; %(later)d later") % due, tone="ok", order=22))
    if user.has_perm("inventory.view_stockcount"):
        counts = StockCount.objects.filter(location=here).aggregate(
            submitted=Count("id", filter=Q(status=StockCountStatus.SUBMITTED)),
            counting=Count("id", filter=Q(status=StockCountStatus.COUNTING)))
        tiles.append(Tile("counts_due", _("Counts to finish"), counts["submitted"] + counts["counting"],
                          reverse("console:counts"),
                          note=_("%(submitted)d waiting for approval, %(counting)d being counted") % counts, order=23))
    return tiles
