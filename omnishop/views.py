"""The console dashboard: the one console page that composes several domains.

Each role sees what it acts on, as tiles that link to where it acts (kernel.dashboard: every
app contributes its own): a store its pickups to prepare and to hand over, returns to process,
transfers to receive, endless-aisle pickups, with today's sales and its low stock; a warehouse
its orders to pack and ship, transfers to receive and to ship, purchase orders due and counts
to finish (no sales or pickups: a warehouse sells nothing and hands nothing over); HQ the sales
against the week before, campaigns running and waiting for approval (journeys add theirs), with
today's sales by channel; administrators also the pickups per store and the low stock."""

from django.shortcuts import render

from inventory import selectors as inventory_selectors
from kernel import roles
from kernel.console import console_view, today_bounds
from kernel.dashboard import dashboard_tiles
from kernel.models import LocationKind
from orders import selectors as order_selectors


@console_view()
def dashboard(request):
    user = request.user
    scoped = roles.is_scoped(user)
    here = user.location if scoped else None
    tiles = dashboard_tiles(user=user, here=here)
    if here is not None and here.kind == LocationKind.WAREHOUSE:
        return _warehouse_dashboard(request, here, tiles)
    locations = [here] if here is not None else None
    sales = order_selectors.sales_today_by_channel(locations=locations) \
        if scoped or user.has_perm("orders.view_sales_dashboard") else []
    context = {
        "tiles": tiles,
        "sales": sales,
        "sales_total": sum(row["amount"] for row in sales),
        "sales_count": sum(row["orders"] for row in sales),
        "scope_location": here,
        "show_sales": scoped or user.has_perm("orders.view_sales_dashboard"),
    }
    # what HQ marketers do not act on (stores hand over, stock is moved by stores and warehouses):
    # an administrator, who may act anywhere, sees the pickups per store and the low stock
    if here is None and user.has_perm("orders.run_pickup_desk"):
        context["pickups"] = order_selectors.pickups_waiting_by_location(locations=None)
    if here is not None or user.has_perm("inventory.add_transfer"):
        context["low_stock"] = list(inventory_selectors.low_stock(locations=locations, limit=15))
    return render(request, "console/dashboard.html", context)


def _warehouse_dashboard(request, warehouse, tiles):
    start, _end = today_bounds()
    day = inventory_selectors.warehouse_day(locations=[warehouse], today=start.date())
    context = {
        "tiles": tiles,
        "day": day,
        "low_stock": list(inventory_selectors.low_stock(locations=[warehouse], limit=15)),
        "scope_location": warehouse,
    }
    return render(request, "console/dashboard_warehouse.html", context)
