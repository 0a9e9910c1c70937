"""Console pages of the orders domain: the pickup desk and order lookup."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kernel import roles
from kernel.console import console_view, htmx_template, location_choice, paginate
from kernel.japan import Prefecture
from kernel.models import Channel, Location

from .. import selectors, services
from ..errors import InvalidOrder, InvalidTransition
from ..models import Carrier, Fulfillment, FulfillmentStatus, Order, OrderEventKind, OrderStatus
from ..payments import order_money
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
    OrderEventKind.LINES_CANCELLED: ("x", "warning"),
    OrderEventKind.TRANSFER_REQUESTED: ("truck", "info"),
    OrderEventKind.TRANSFER_SHIPPED: ("truck", "info"),
    OrderEventKind.TRANSFER_RECEIVED: ("store", "success"),
    OrderEventKind.TRANSFER_SHORT: ("x", "danger"),
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
    found = None
    if location is not None:
        if query:
            found = selectors.desk_search(location=location, query=query)
            rows = found.rows
        else:
            rows = selectors.pickup_desk(location=location, status="" if status == "all" else status)
        counts = selectors.pickup_counts(location=location)
    context = {
        "location": location,
        "locations": locations,
        "status": status,
        "query": query,
        "fulfillments": rows,
        "found": found,
        "count_cap": selectors.DESK_COUNT_CAP,
        "counts": counts,
        "choose_location": not roles.is_scoped(request.user),
        # a search looks through every state: each row then says which tab it is on
        "searching": bool(query),
    }
    return render(request, htmx_template(request, "orders/console/pickup_desk.html", "results"), context)


@console_view("orders.run_pickup_desk")
def pickup_badge(request):
    """The navigation's pickup badge: pickup orders to prepare at the user's stores (polled by
    htmx every 20 seconds; one COUNT)."""
    count = selectors.pickups_to_prepare_count(locations=_pickup_locations(request.user))
    return render(request, "orders/console/_pickup_badge.html", {"count": count})


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
    tag = services.tag_normalise(request.GET.get("tag", ""))
    scope = roles.scoped_locations(request.user) if scoped else None
    items = selectors.order_list(
        locations=scope, status=status, channel=channel, location=location if not scoped else None, query=query,
        tag=tag,
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
        "tag": tag,
        "tags": selectors.order_tags_in_use(locations=scope),
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
    fulfillments = list(order.fulfillments.all())
    can_cancel = _can_cancel(request.user, order)
    context = {
        "order": order,
        "lines": lines,
        # lines staff may cancel units of: their fulfilment is still open
        # (not while they come by an endless-aisle transfer: the whole order is cancelled then)
        "cancellable_lines": [line for line in lines if can_cancel and any(
            f.pk == line.fulfillment_id and f.can_become(FulfillmentStatus.CANCELLED)
            and not (f.transfer_id and f.status == FulfillmentStatus.RESERVED) for f in fulfillments)],
        "notes": list(order.notes.all()),
        "tags": [tag.name for tag in order.tags.all()],
        "can_annotate": request.user.has_perm("orders.change_order"),
        "can_ship": request.user.has_perm("orders.ship_orders"),
        "max_note_length": services.MAX_NOTE_LENGTH,
        "tax": selectors.order_tax(order, lines),
        "fulfillments": fulfillments,
        "events": [
            {"event": event, "label": event.get_kind_display(), "icon": EVENT_STYLE[event.kind][0],
             "tone": EVENT_STYLE[event.kind][1],
             "to": FulfillmentStatus(event.to_status).label if event.to_status in FulfillmentStatus.values else ""}
            for event in order.events.all()
        ],
        "can_run_desk": request.user.has_perm("orders.run_pickup_desk"),
        "can_cancel": can_cancel,
        "can_view_customer": request.user.has_perm("customers.view_customer"),
        "max_reason_length": MAX_REASON_LENGTH,
        **_money_context(request, order),
    }
    return render(request, "orders/console/order_detail.html", context)


def _money_context(request, order) -> dict:
    """The order's payments and refunds, its returns, and the return and refund actions: the
    refund panel (open with ``?refund=1``, the "Refund due" notice's link, prefilled with what is
    due) gives the refund at one of the user's stores' open registers."""
    from ..models import RefundMethod, Return
    from ..returns import DELIVERED as RETURNABLE_STATES
    from .console_returns import refund_sessions

    user = request.user

    payments = selectors.order_payments(order)
    money = order_money(order, payments)  # the one rule: what was paid, what is refundable, what is due back
    can_refund = user.has_perm("orders.refund_order")
    sessions = refund_sessions(user) if can_refund and money.net else []
    return {"payments": payments, "refundable": money.net, "refund_due": money.due_back(order),
            "refund_open": request.GET.get("refund") == "1", "refund_sessions": sessions,
            "chosen_session": sessions[0] if len(sessions) == 1 else None,
            "order_returns": list(Return.objects.filter(order=order).order_by("-id")),
            "refund_methods": RefundMethod.choices,
            # a return takes back what the customer has: nothing before an item is handed over or shipped
            "can_take_returns": user.has_perm("orders.take_returns") and any(
                group.status in RETURNABLE_STATES for group in order.fulfillments.all()),
            "can_refund": can_refund}


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


def _order_for_staff(request, number: str) -> Order:
    scoped = roles.is_scoped(request.user)
    try:
        return selectors.order_detail(number=number, locations=roles.scoped_locations(request.user) if scoped else None)
    except Order.DoesNotExist as exc:
        raise Http404 from exc


def _post_int(request, name: str) -> int | None:
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        return None


@require_POST
@console_view("orders.run_pickup_desk")
def order_lines_cancel(request, number: str):
    """Cancel some units: ``quantity-<line id>`` fields, 0 or blank for none."""
    order = _order_for_staff(request, number)
    if not _can_cancel(request.user, order):
        raise PermissionDenied(_("You cannot act for this location."))
    wanted = []
    for line in order.lines.all():
        raw = request.POST.get(f"quantity-{line.pk}", "").strip()
        if raw in ("", "0"):
            continue
        quantity = _post_int(request, f"quantity-{line.pk}")
        wanted.append(services.LineCancelIn(line=line.pk, quantity=quantity if quantity is not None else -1))
    reason = request.POST.get("reason", "").strip()
    try:
        if not reason:
            raise InvalidOrder({"reason": [_("Give a reason for cancelling the items.")]})
        services.order_lines_cancel(order=order, lines=wanted, reason=reason, acting_user=request.user)
    except (InvalidOrder, InvalidTransition) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The items were cancelled and their stock released."))
    return redirect("console:order_detail", number=order.number)


def _error_text(exc) -> str:
    if isinstance(exc, InvalidOrder):
        return " ".join(str(message) for messages_ in exc.errors.values() for message in messages_)
    return str(exc)


@require_POST
@console_view("orders.change_order")
def order_note_add(request, number: str):
    order = _order_for_staff(request, number)
    try:
        services.order_note_add(order=order, body=request.POST.get("body", ""), acting_user=request.user)
    except InvalidOrder as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Note added."))
    return redirect(reverse("console:order_detail", kwargs={"number": order.number}) + "#notes")


@require_POST
@console_view("orders.change_order")
def order_tags_set(request, number: str):
    """The tags field holds the order's tags separated by commas (、 and ， too)."""
    order = _order_for_staff(request, number)
    raw = request.POST.get("tags", "").replace("、", ",").replace("，", ",")
    try:
        services.order_tags_set(order=order, tags=raw.split(","), acting_user=request.user)
    except InvalidOrder as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Tags saved."))
    return redirect(reverse("console:order_detail", kwargs={"number": order.number}) + "#tags")


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
        "carriers": Carrier.choices,
    }
    return render(request, htmx_template(request, "orders/console/shipments.html", "results"), context)


@console_view("orders.ship_orders")
def pick_list(request):
    """The printable pick list of the delivery orders waiting at a location (A4): items summed
    by SKU across the orders with the units of each order, grouped by zone and walked in bin
    order; ``?orders=<number>,<number>`` limits the batch."""
    location, _locations = location_choice(request, queryset=_shipping_locations(request.user), default_first=True)
    if location is None:
        raise Http404
    numbers = [n.strip().upper() for n in request.GET.get("orders", "").split(",") if n.strip()]
    picks = selectors.pick_list(location=location, numbers=numbers)
    return render(request, "orders/console/pick_list.html", {
        "picks": picks, "printed_at": timezone.now(),
        "can_set_zones": request.user.has_perm("inventory.set_stock_zone")})


@console_view("orders.ship_orders")
def packing_slips(request):
    """Printable packing slips (one A4 page per order) with the delivery address and items:
    ``?fulfillment=<id>`` for one, else every delivery waiting at the location."""
    raw = request.GET.get("fulfillment", "")
    if raw:
        try:
            fulfillments = [selectors.shipment_get(pk=int(raw))]
        except (ValueError, Fulfillment.DoesNotExist) as exc:
            raise Http404 from exc
        roles.require_location(request.user, fulfillments[0].location)
    else:
        location, _locations = location_choice(request, queryset=_shipping_locations(request.user),
                                               default_first=True)
        if location is None:
            raise Http404
        fulfillments = list(selectors.shipments_waiting(location=location, limit=selectors.PICK_LIST_LIMIT))
    for fulfillment in fulfillments:
        _label_prefecture(fulfillment)
    return render(request, "orders/console/packing_slips.html", {"fulfillments": fulfillments,
                                                                "printed_at": timezone.now()})


@require_POST
@console_view("orders.ship_orders")
def shipment_ship(request, pk: int):
    try:
        fulfillment = selectors.shipment_get(pk=pk)
    except Fulfillment.DoesNotExist as exc:
        raise Http404 from exc
    roles.require_location(request.user, fulfillment.location)
    tracking = request.POST.get("tracking_number", "").strip()[:MAX_TRACKING_LENGTH]
    carrier = request.POST.get("carrier", "")
    error = message = ""
    if not tracking:
        error = _("Enter the tracking number from the delivery slip.")
    else:
        try:
            services.fulfillment_ship(fulfillment=fulfillment, tracking_number=tracking, carrier=carrier,
                                      acting_user=request.user)
        except (InvalidOrder, InvalidTransition) as exc:
            error = _error_text(exc)
        else:
            fulfillment = selectors.shipment_get(pk=pk)
            message = _("Order %(number)s was shipped (%(tracking)s).") % {
                "number": fulfillment.order.number, "tracking": fulfillment.tracking_display}
    if request.htmx:
        _label_prefecture(fulfillment)
        context = {"fulfillment": fulfillment, "row_error": error, "row_message": message, "tracking": tracking,
                   "carrier": carrier, "carriers": Carrier.choices, "max_tracking_length": MAX_TRACKING_LENGTH}
        return render(request, "orders/console/shipments.html#row", context, status=200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, message)
    return redirect(f"{reverse('console:shipments')}?location={fulfillment.location_id}")
