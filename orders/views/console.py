"""Console pages of the orders domain: the pickup desk and order lookup."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kernel import roles
from kernel.console import console_view, htmx_template, location_choice, paginate
from kernel.japan import Prefecture
from kernel.models import Channel, Location

from .. import selectors, services
from ..errors import InvalidTransition
from ..models import Fulfillment, FulfillmentStatus, Order, OrderEventKind, OrderStatus
from ..services import MAX_REASON_LENGTH, MAX_TRACKING_LENGTH

# How each kind of order event looks in the order's history: an icon
# (templates/console/_icon.html) and a tone.
EVENT_STYLE = {
    OrderEventKind.PLACED: ("bag", "info"),
    OrderEventKind.READY: ("bell", "warning"),
    OrderEventKind.HANDED_OVER: ("store", "success"),
    OrderEventKind.SHIPPED: ("truck", "success"),
    OrderEventKind.TRACKING: ("truck", "info"),
    OrderEventKind.CANCELLED: ("x", "danger"),
    OrderEventKind.CANCEL_REASON: ("note", "info"),
    OrderEventKind.EXPIRED: ("x", "danger"),
    OrderEventKind.SOLD: ("store", "success"),
    OrderEventKind.VOIDED: ("x", "danger"),
}


def _pickup_locations(user):
    return roles.scoped_locations(user).filter(offers_pickup=True).order_by("code")


@console_view("orders.run_pickup_desk")
def pickup_desk(request):
    location, locations = location_choice(request, queryset=_pickup_locations(request.user), default_first=True)
    if roles.is_scoped(request.user) and request.user.location_id and location is None:
        # a store without pickup still has a desk page, just an empty one
        location = Location.objects.get(pk=request.user.location_id)
    status = request.GET.get("status", "reserved")
    if status not in ("reserved", "ready", "all"):
        status = "reserved"
    query = request.GET.get("q", "").strip()
    rows = []
    counts = {"reserved": 0, "ready": 0}
    if location is not None:
        rows = list(selectors.pickup_desk(location=location, status="" if status == "all" else status, query=query))
        counts = selectors.pickup_counts(location=location)
    context = {
        "location": location,
        "locations": locations,
        "status": status,
        "query": query,
        "fulfillments": rows,
        "counts": counts,
        "choose_location": not roles.is_scoped(request.user),
    }
    return render(request, htmx_template(request, "orders/console/pickup_desk.html", "results"), context)


def _pickup_action(request, pk: int, service, done_message: str):
    try:
        fulfillment = selectors.pickup_get(pk=pk)
    except Fulfillment.DoesNotExist as exc:
        raise Http404 from exc
    roles.require_location(request.user, fulfillment.location)
    error = ""
    try:
        fulfillment = service(fulfillment=fulfillment, acting_user=request.user)
    except InvalidTransition as exc:
        error = str(exc)
    fulfillment = selectors.pickup_get(pk=pk)
    if request.htmx:
        context = {"fulfillment": fulfillment, "row_error": error,
                   "row_message": "" if error else done_message % {"number": fulfillment.order.number}}
        row = render_to_string("orders/console/pickup_desk.html#row", context, request=request)
        # the tab counters follow along out of band
        counts = render_to_string("orders/console/pickup_desk.html#counts",
                                  {"counts": selectors.pickup_counts(location=fulfillment.location), "oob": True},
                                  request=request)
        return HttpResponse(row + counts)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, done_message % {"number": fulfillment.order.number})
    back = request.POST.get("next", "")
    if not back.startswith("/console/"):
        back = f"{reverse('console:pickup_desk')}?location={fulfillment.location_id}"
    return redirect(back)


@require_POST
@console_view("orders.run_pickup_desk")
def pickup_ready(request, pk: int):
    return _pickup_action(request, pk, services.fulfillment_mark_ready, _("Order %(number)s is ready for pickup."))


@console_view("orders.view_order")
def orders(request):
    scoped = roles.is_scoped(request.user)
    location, locations = location_choice(request)
    status = request.GET.get("status", "")
    if status not in OrderStatus.values:
        status = ""
    channel = request.GET.get("channel", "")
    query = request.GET.get("q", "").strip()
    items = selectors.order_list(
        locations=roles.scoped_locations(request.user) if scoped else None,
        status=status, channel=channel, location=location if not scoped else None, query=query,
    )
    page = paginate(request, items, per_page=50)
    context = {
        "page": page,
        "status": status,
        "statuses": OrderStatus.choices,
        "channel": channel,
        "channels": Channel.objects.order_by("kind", "code"),
        "location": location,
        "locations": locations,
        "query": query,
        "choose_location": not scoped,
    }
    return render(request, htmx_template(request, "orders/console/orders.html", "results"), context)


@console_view("orders.view_order")
def order_detail(request, number: str):
    scoped = roles.is_scoped(request.user)
    try:
        order = selectors.order_detail(number=number,
                                       locations=roles.scoped_locations(request.user) if scoped else None)
    except Order.DoesNotExist as exc:
        raise Http404 from exc
    lines = list(order.lines.all())
    context = {
        "order": order,
        "lines": lines,
        "tax": selectors.order_tax(order, lines),
        "fulfillments": list(order.fulfillments.all()),
        "events": [
            {"event": event, "label": event.get_kind_display(), "icon": EVENT_STYLE[event.kind][0],
             "tone": EVENT_STYLE[event.kind][1],
             "to": FulfillmentStatus(event.to_status).label if event.to_status in FulfillmentStatus.values else ""}
            for event in order.events.all()
        ],
        "can_run_desk": request.user.has_perm("orders.run_pickup_desk"),
        "can_cancel": _can_cancel(request.user, order),
        "can_view_customer": request.user.has_perm("customers.view_customer"),
        "max_reason_length": MAX_REASON_LENGTH,
        **_money_context(request.user, order),
    }
    return render(request, "orders/console/order_detail.html", context)


def _money_context(user, order) -> dict:
    """The order's payments and refunds, its returns, and the return and refund actions."""
    from ..models import RefundMethod, Return
    from ..payments import order_refundable

    return {"payments": selectors.order_payments(order), "refundable": order_refundable(order),
            "order_returns": list(Return.objects.filter(order=order).order_by("-id")),
            "refund_methods": RefundMethod.choices,
            "can_take_returns": user.has_perm("orders.take_returns"),
            "can_refund": user.has_perm("orders.refund_order")}


def _can_cancel(user, order) -> bool:
    """Staff at the pickup desk may cancel an order whose open fulfilments are all in their scope."""
    if not user.has_perm("orders.run_pickup_desk"):
        return False
    open_groups = [f for f in order.fulfillments.all() if f.can_become(FulfillmentStatus.CANCELLED)]
    return bool(open_groups) and all(roles.can_act_at(user, f.location_id) for f in open_groups)


@require_POST
@console_view("orders.run_pickup_desk")
def order_cancel(request, number: str):
    scoped = roles.is_scoped(request.user)
    try:
        order = selectors.order_detail(number=number,
                                       locations=roles.scoped_locations(request.user) if scoped else None)
    except Order.DoesNotExist as exc:
        raise Http404 from exc
    for fulfillment in order.fulfillments.all():
        if fulfillment.can_become(FulfillmentStatus.CANCELLED):
            roles.require_location(request.user, fulfillment.location)
    reason = request.POST.get("reason", "").strip()[:MAX_REASON_LENGTH]
    if not reason:
        messages.error(request, _("Give a reason for cancelling the order."))
    else:
        try:
            services.order_cancel(order=order, reason=reason, acting_user=request.user)
        except InvalidTransition as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Order %(number)s was cancelled and its stock released.")
                             % {"number": order.number})
    return redirect("console:order_detail", number=order.number)


# --- shipments desk (warehouse) -----------------------------------------------------------

def _label_prefecture(fulfillment) -> None:
    code = (fulfillment.address or {}).get("prefecture", "")
    fulfillment.prefecture_label = Prefecture(code).label if code in Prefecture.values else code


def _shipping_locations(user):
    return roles.scoped_locations(user).filter(ships_orders=True).order_by("code")


@console_view("orders.ship_orders")
def shipments(request):
    location, locations = location_choice(request, queryset=_shipping_locations(request.user), default_first=True)
    query = request.GET.get("q", "").strip()
    rows = list(selectors.shipments_waiting(location=location, query=query)) if location is not None else []
    for row in rows:
        _label_prefecture(row)
    context = {
        "location": location,
        "locations": locations,
        "query": query,
        "fulfillments": rows,
        "choose_location": not roles.is_scoped(request.user),
        "max_tracking_length": MAX_TRACKING_LENGTH,
    }
    return render(request, htmx_template(request, "orders/console/shipments.html", "results"), context)


@require_POST
@console_view("orders.ship_orders")
def shipment_ship(request, pk: int):
    try:
        fulfillment = selectors.shipment_get(pk=pk)
    except Fulfillment.DoesNotExist as exc:
        raise Http404 from exc
    roles.require_location(request.user, fulfillment.location)
    tracking = request.POST.get("tracking_number", "").strip()[:MAX_TRACKING_LENGTH]
    error = message = ""
    if not tracking:
        error = _("Enter the tracking number from the delivery slip.")
    else:
        try:
            services.fulfillment_ship(fulfillment=fulfillment, tracking_number=tracking, acting_user=request.user)
        except InvalidTransition as exc:
            error = str(exc)
        else:
            message = _("Order %(number)s was shipped (%(tracking)s).") % {
                "number": fulfillment.order.number, "tracking": tracking}
            fulfillment = selectors.shipment_get(pk=pk)
    if request.htmx:
        _label_prefecture(fulfillment)
        context = {"fulfillment": fulfillment, "row_error": error, "row_message": message, "tracking": tracking,
                   "max_tracking_length": MAX_TRACKING_LENGTH}
        return render(request, "orders/console/shipments.html#row", context, status=200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, message)
    return redirect(f"{reverse('console:shipments')}?location={fulfillment.location_id}")
