"""The returns desk (store staff; warehouse operators for returns by mail): find the order by its
receipt QR (the order number), number, customer or the customer's return code, choose the lines,
quantities, reason, condition and what happens to them, refund to the original payment or as
store credit, or exchange; the return's page with its printable receipt (A4 or 80 mm) and email;
and the refund of an order without a return (goodwill), on the order's page. Thin: parse, call
``orders.returns``, render. Role (permission) and scope (the user's location) on every view."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kernel import roles
from kernel.console import console_view, htmx_template, location_choice, paginate
from kernel.japan import search_key
from kernel.models import Location

from .. import returns, selectors
from ..errors import InvalidOrder, InvalidTransition
from ..models import (
    Order,
    RefundMethod,
    RegisterSession,
    Return,
    ReturnCondition,
    ReturnDisposition,
    ReturnReason,
    ReturnStatus,
    TenderKind,
)
from ..payments import TenderIn, order_refundable, order_tenders, store_credit_balance
from .storefront_returns import parse_quantity


def refund_sessions(user, location=None) -> list[RegisterSession]:
    """The open register sessions a refund may be given at: those of the user's stores (every
    store's for HQ), or of ``location`` (one query)."""
    sessions = (RegisterSession.objects.filter(closed_at__isnull=True, register__is_active=True,
                                               register__location__in=roles.scoped_locations(user))
                .select_related("register__location").order_by("register__location__code", "register__code"))
    if location is not None:
        sessions = sessions.filter(register__location=location)
    return list(sessions)


def chosen_session(request, sessions: list[RegisterSession]) -> RegisterSession | None:
    """The session posted as ``register_session`` among ``sessions`` (None when blank); a session
    that is not one of them (closed since, another store's) is refused by name, nothing done."""
    raw = request.POST.get("register_session", "").strip()
    if not raw:
        return None
    found = next((session for session in sessions if str(session.pk) == raw), None)
    if found is None:
        raise InvalidOrder({"register": [_("Choose one of your store's open registers.")]})
    return found


def _preselected(request, sessions: list[RegisterSession]) -> RegisterSession | None:
    raw = request.POST.get("register_session", "") if request.method == "POST" else ""
    if raw:
        return next((session for session in sessions if str(session.pk) == raw), None)
    return sessions[0] if len(sessions) == 1 else None


def _desk_locations(user):
    return roles.scoped_locations(user).filter(takes_returns=True, is_active=True).order_by("kind", "code")


def _scoped(user):
    return roles.scoped_locations(user) if roles.is_scoped(user) else None


def _order(user, number: str) -> Order:
    try:
        return selectors.order_detail(number=number, locations=_scoped(user))
    except Order.DoesNotExist as exc:
        raise Http404 from exc


def _return(user, number: str) -> Return:
    """A return the user may see; one still waiting to be received can be brought to any store."""
    ret = selectors.return_list(locations=_scoped(user), requested=True).filter(number=number).first()
    if ret is None:
        raise Http404
    return ret


@console_view("orders.view_return")
def returns_desk(request):
    """Search (order number from the receipt's QR, return code, customer) and the returns list."""
    location, locations = location_choice(request, queryset=_desk_locations(request.user), default_first=True)
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    if status not in ReturnStatus.values:
        status = ""
    found_orders = []
    if query:
        code = search_key(query).upper()
        requested = Return.objects.filter(code=code, status=ReturnStatus.REQUESTED).only("number").first()
        if requested is not None:  # whichever store the customer named: any store takes it
            return redirect("console:return_detail", number=requested.number)
        # any order, from any channel, can come back at any store that takes returns
        found_orders = list(Order.objects.search(query).select_related("customer", "channel")
                            .order_by("-created_at")[:20])
    items = selectors.return_list(locations=_scoped(request.user), status=status,
                                  query="" if found_orders else query)
    page = paginate(request, items, per_page=50)
    context = {"location": location, "locations": locations, "query": query, "status": status,
               "statuses": ReturnStatus.choices, "found_orders": found_orders, "page": page,
               "can_take": request.user.has_perm("orders.take_returns"),
               "choose_location": not roles.is_scoped(request.user)}
    return render(request, htmx_template(request, "orders/console/returns.html", "results"), context)


def _parse_lines(request, rows) -> tuple[list[returns.ReturnLineIn], dict]:
    lines, chosen = [], {}
    for row in rows:
        pk = row.line.pk
        quantity = parse_quantity(request.POST.get(f"quantity-{pk}"))
        values = {"quantity": quantity, "reason": request.POST.get(f"reason-{pk}", ""),
                  "condition": request.POST.get(f"condition-{pk}", ""),
                  "disposition": request.POST.get(f"disposition-{pk}", "")}
        chosen[pk] = values
        if quantity:
            lines.append(returns.ReturnLineIn(order_line=pk, **values))
    return lines, chosen


def _line_errors(errors: dict, lines: list[returns.ReturnLineIn]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for index, line in enumerate(lines):
        found[line.order_line] = [m for key, ms in errors.items() if key.startswith(f"lines.{index}.") for m in ms]
    return found


def _form_context(order, rows, chosen, errors, lines, **extra) -> dict:
    line_errors = _line_errors(errors, lines)
    return {
        "order": order,
        "rows": [{"row": row, "chosen": chosen.get(row.line.pk, {}), "errors": line_errors.get(row.line.pk, [])}
                 for row in rows],
        "reasons": ReturnReason.choices, "conditions": ReturnCondition.choices,
        "dispositions": ReturnDisposition.choices, "refund_methods": RefundMethod.choices,
        "errors": errors, "general_errors": [m for key, ms in errors.items() if not key.startswith("lines.")
                                             or key == "lines" for m in ms],
        "refundable": order_refundable(order),
        "tenders": [(TenderKind(kind).label, amount) for kind, amount in order_tenders(order).items()],
        "credit": store_credit_balance(order.customer_id) if order.customer_id else None, **extra}


@console_view("orders.take_returns")
def return_new(request, number: str):
    """The return of one order at the desk: lines, quantities, reason, condition, disposition,
    refund method, and an optional exchange."""
    try:  # any order, whatever store or channel sold it: the desk is where it comes back
        order = selectors.order_detail(number=number, locations=None)
    except Order.DoesNotExist as exc:
        raise Http404 from exc
    location, locations = location_choice(request, queryset=_desk_locations(request.user), default_first=True)
    rows = returns.returnable_lines(order)
    errors, lines, chosen = {}, [], {}
    sessions = refund_sessions(request.user, location) if location is not None else []
    if request.method == "POST":
        if location is None:
            raise Http404
        roles.require_location(request.user, location)
        lines, chosen = _parse_lines(request, rows)
        exchange = []
        for index in range(3):
            sku = request.POST.get(f"exchange-sku-{index}", "").strip()
            if sku:
                exchange.append(returns.ExchangeLineIn(sku=sku, quantity=parse_quantity(
                    request.POST.get(f"exchange-qty-{index}", "1")) or 1))
        tenders = []
        difference = parse_quantity(request.POST.get("tender-amount"))
        if difference > 0:
            tenders.append(TenderIn(kind=request.POST.get("tender-kind", "cash"), amount=difference,
                                    reference=request.POST.get("tender-reference", "")))
        try:
            ret = returns.return_create(order=order, location=location, lines=lines,
                                        refund_method=request.POST.get("refund_method", ""), exchange=exchange,
                                        hand_over=request.POST.get("hand_over") == "on", tenders=tenders,
                                        register_session=chosen_session(request, sessions),
                                        note=request.POST.get("note", ""), acting_user=request.user)
        except InvalidOrder as exc:
            errors = exc.errors
        else:
            messages.success(request, _("Return %(number)s is done: %(refund)s refunded.") % {
                "number": ret.number, "refund": f"¥{ret.refund_total:,}"})
            return redirect("console:return_detail", number=ret.number)
    context = _form_context(order, rows, chosen, errors, lines, location=location, locations=locations,
                            choose_location=not roles.is_scoped(request.user), post=request.POST,
                            refund_sessions=sessions, chosen_session=_preselected(request, sessions))
    return render(request, "orders/console/return_new.html", context, status=400 if errors else 200)


@console_view("orders.view_return")
def return_detail(request, number: str):
    ret = _return(request.user, number)
    order = ret.order
    errors, lines, chosen = {}, [], {}
    rows = []
    # a request is received at the user's own location (chosen below); a received return is
    # refunded where it was received
    can_act = request.user.has_perm("orders.take_returns") and (
        ret.status == ReturnStatus.REQUESTED or ret.location_id is None
        or roles.can_act_at(request.user, ret.location_id))
    location, locations = location_choice(request, queryset=_desk_locations(request.user), default_first=True)
    # a received return is refunded where it was received
    at = ret.location if ret.status == ReturnStatus.RECEIVED and ret.location_id else location
    sessions = refund_sessions(request.user, at) if at is not None and can_act else []
    if ret.status == ReturnStatus.REQUESTED and can_act:
        asked = {line.order_line_id: line for line in ret.lines.all()}
        rows = [row for row in returns.returnable_lines(order, exclude=ret) if row.line.pk in asked]
        chosen = {pk: {"quantity": line.quantity, "reason": line.reason} for pk, line in asked.items()}
        if request.method == "POST":
            if location is None:
                raise Http404
            roles.require_location(request.user, location)
            lines, chosen = _parse_lines(request, rows)
            try:
                ret = returns.return_receive(order_return=ret, location=location, lines=lines,
                                             refund_method=request.POST.get("refund_method", ""),
                                             register_session=chosen_session(request, sessions),
                                             acting_user=request.user)
            except (InvalidOrder, InvalidTransition) as exc:
                errors = getattr(exc, "errors", {"__all__": [str(exc)]})
            else:
                messages.success(request, _("Return %(number)s was received.") % {"number": ret.number})
                return redirect("console:return_detail", number=ret.number)
        for row in rows:
            row.requested = asked[row.line.pk].quantity
    scoped = _scoped(request.user)
    order_visible = scoped is None or selectors.orders_at(locations=scoped).filter(pk=order.pk).exists()
    context = _form_context(order, rows, chosen, errors, lines, ret=ret, receipt=selectors.return_receipt(ret),
                            order_visible=order_visible, refund_sessions=sessions,
                            chosen_session=_preselected(request, sessions), can_act=can_act, location=location, locations=locations,
                            choose_location=not roles.is_scoped(request.user),
                            qr=mark_safe(selectors.return_code_svg(ret.code)) if ret.code else "")  # noqa: S308
    return render(request, "orders/console/return_detail.html", context, status=400 if errors else 200)


@require_POST
@console_view("orders.take_returns")
def return_refund(request, number: str):
    ret = _return(request.user, number)
    if ret.location_id:
        roles.require_location(request.user, ret.location)
    try:
        returns.return_refund(order_return=ret, method=request.POST.get("refund_method", ""),
                              register_session=chosen_session(request, refund_sessions(request.user, ret.location)),
                              acting_user=request.user)
    except (InvalidOrder, InvalidTransition) as exc:
        messages.error(request, " ".join(m for ms in getattr(exc, "errors", {"": [str(exc)]}).values() for m in ms))
    else:
        messages.success(request, _("Return %(number)s was refunded.") % {"number": ret.number})
    return redirect("console:return_detail", number=ret.number)


@require_POST
@console_view("orders.view_return")
def return_email(request, number: str):
    ret = _return(request.user, number)
    from ..tasks import return_email_send

    if return_email_send(ret.pk):
        messages.success(request, _("The return receipt was emailed to the customer."))
    else:
        messages.info(request, _("The receipt was not sent: the customer has no email address, or it was "
                                 "already sent for this status."))
    return redirect("console:return_detail", number=ret.number)


@console_view("orders.view_return")
def return_receipt(request, number: str):
    ret = _return(request.user, number)
    width = "80" if request.GET.get("width") == "80" else "a4"
    return render(request, "orders/console/return_receipt.html",
                  {"ret": ret, "receipt": selectors.return_receipt(ret), "width": width})


@require_POST
@console_view("orders.refund_order")
def order_refund(request, number: str):
    """A refund without a return (goodwill, or what a partial cancel left due), capped at what was
    paid, with a reason, given at one of the user's stores' open registers (``register_session``;
    cash needs one: ``orders.payments.payment_refund``)."""
    order = _order(request.user, number)
    location = None
    if roles.is_scoped(request.user):
        location = Location.objects.get(pk=request.user.location_id)
    amount = parse_quantity(request.POST.get("amount"))
    try:
        session = chosen_session(request, refund_sessions(request.user))
        returns.order_refund(order=order, amount=amount, method=request.POST.get("method", ""),
                             reason=request.POST.get("reason", ""), register_session=session,
                             location=session.register.location if session else location, acting_user=request.user)
    except InvalidOrder as exc:
        messages.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
        return redirect(reverse("console:order_detail", kwargs={"number": order.number}) + "?refund=1#refund-order")
    else:
        messages.success(request, _("%(amount)s was refunded on order %(number)s.") % {
            "amount": f"¥{amount:,}", "number": order.number})
    return redirect("console:order_detail", number=order.number)
