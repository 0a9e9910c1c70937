"""Console pages of the single customer view: lookup and the customer's page."""

from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _

from omnishop.console import console_view, htmx_template

from .. import selectors
from ..models import ConsentChannel, Customer, EventKind

# How each kind of touchpoint looks on the timeline: an icon (templates/console/_icon.html)
# and a tone for its badge.
EVENT_STYLE = {
    EventKind.SIGNED_UP: ("user", "info"),
    EventKind.CONSENT_CHANGED: ("check", "muted"),
    EventKind.PRODUCT_VIEWED: ("eye", "muted"),
    EventKind.CART_ADDED: ("cart", "muted"),
    EventKind.ORDER_PLACED: ("bag", "primary"),
    EventKind.ORDER_READY: ("bell", "warning"),
    EventKind.PICKUP_COMPLETED: ("store", "success"),
    EventKind.ORDER_SHIPPED: ("truck", "success"),
    EventKind.ORDER_CANCELLED: ("x", "danger"),
    EventKind.STORE_VISIT: ("store", "info"),
    EventKind.EMAIL_SENT: ("mail", "muted"),
    EventKind.EMAIL_OPENED: ("mail", "info"),
    EventKind.EMAIL_CLICKED: ("mail", "primary"),
    EventKind.SMS_SENT: ("phone", "muted"),
    EventKind.COUPON_REDEEMED: ("tag", "success"),
    EventKind.RETURN: ("return", "warning"),
    EventKind.STAFF_NOTE: ("note", "info"),
}

@console_view("customers.view_customer")
def customers(request):
    query = request.GET.get("q", "").strip()
    if query:
        results = list(selectors.customer_search(query=query, limit=50))
    else:
        results = list(Customer.objects.order_by("-created_at", "-id")[:25])
    context = {"query": query, "customers": results}
    return render(request, htmx_template(request, "customers/console/customers.html", "results"), context)


@console_view("customers.view_customer")
def customer_detail(request, pk: int):
    customer = get_object_or_404(Customer.objects.select_related("favourite_location", "user"), pk=pk)
    state = selectors.consent_state(customer=customer)
    consent = [{"channel": label, "granted": state.get(value), "known": value in state}
               for value, label in ConsentChannel.choices]
    timeline = []
    for event in selectors.customer_timeline(customer=customer, limit=100):
        icon, tone = EVENT_STYLE.get(event.kind, ("note", "muted"))
        order_number = event.subject.removeprefix("order:") if event.subject.startswith("order:") else ""
        timeline.append({"event": event, "icon": icon, "tone": tone, "order_number": order_number})
    context = {
        "customer": customer,
        "consent": consent,
        "consent_ledger": list(customer.consent_records.select_related("acting_user").order_by("-created_at",
                                                                                                  "-id")[:50]),
        # orders sit above customers: read them through the reverse relation, never import orders
        "orders": list(customer.orders.select_related("channel").prefetch_related("fulfillments__location")
                       .order_by("-created_at", "-id")[:50]),
        "timeline": timeline,
        "can_view_orders": request.user.has_perm("orders.view_order"),
        "title": _("Customer"),
    }
    return render(request, "customers/console/customer_detail.html", context)
