"""The console dashboard: the one console page that composes several domains."""

from django.shortcuts import render

from inventory import selectors as inventory_selectors
from kernel import roles
from kernel.console import console_view
from orders import selectors as order_selectors


@console_view()
def dashboard(request):
    """Today's sales by channel, pickups waiting per store and low stock, for the
    locations the user may see."""
    locations = roles.scoped_locations(request.user)
    scoped = roles.is_scoped(request.user)
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
    }
    return render(request, "console/dashboard.html", context)
