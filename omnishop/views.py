"""The console dashboard: the one console page that composes several domains."""

from django.shortcuts import render

from inventory import selectors as inventory_selectors
from kernel import roles
from kernel.console import console_view, today_bounds
from kernel.models import LocationKind
from orders import selectors as order_selectors


@console_view()
def dashboard(request):
    """Today's sales by channel, pickups waiting per store and low stock, for the
    locations the user may see; for a warehouse operator, the warehouse's day instead of sales
    and pickups (a warehouse sells nothing and hands nothing over): what to receive, transfers
    to ship and in transit, counts awaiting approval, orders to ship."""
    locations = roles.scoped_locations(request.user)
    scoped = roles.is_scoped(request.user)
    here = request.user.location if scoped else None
    if here is not None and here.kind == LocationKind.WAREHOUSE:
        return _warehouse_dashboard(request, here)
    sales = order_selectors.sales_today_by_channel(locations=locations if scoped else None)
    pickups = order_selectors.pickups_waiting_by_location(locations=locations if scoped else None)
    low = list(inventory_selectors.low_stock(locations=locations if scoped else None, limit=15))
    context = {
        "sales": sales,
        "sales_total": sum(row["amount"] for row in sales),
        "sales_count": sum(row["orders"] for row in sales),
        "pickups": pickups,
        "pickups_reserved": sum(row["reserved"] for row in pickups),
        "pickups_ready": sum(row["ready"] for row in pickups),
        "low_stock": low,
        "scope_location": request.user.location if scoped else None,
        # a store's transfers in and out (in transit, to ship, to approve)
        "transit": inventory_selectors.transfers_in_transit(locations=[here])
        if here is not None and request.user.has_perm("inventory.view_transfer") else None,
    }
    return render(request, "console/dashboard.html", context)


def _warehouse_dashboard(request, warehouse):
    start, _end = today_bounds()
    day = inventory_selectors.warehouse_day(locations=[warehouse], today=start.date())
    context = {
        "day": day,
        "to_ship": order_selectors.shipments_waiting_count(locations=[warehouse]),
        "low_stock": list(inventory_selectors.low_stock(locations=[warehouse], limit=15)),
        "scope_location": warehouse,
    }
    return render(request, "console/dashboard_warehouse.html", context)
