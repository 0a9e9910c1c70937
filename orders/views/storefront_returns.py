"""The customer's returns, from their account: start a return of a delivered order (which items,
why, a store or by mail), see it with its return code as a QR code, cancel it before it is
received, and print its receipt. Thin: parse, call ``orders.returns``, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kernel.models import Location
from orders import returns, selectors
from orders.errors import InvalidOrder, InvalidTransition
from orders.models import Order, Return, ReturnMethod, ReturnReason, ReturnStatus


def _customer(request: HttpRequest):
    customer = getattr(request.user, "customer", None) if request.user.is_authenticated else None
    if customer is None:
        raise Http404
    return customer


def _own_return(request: HttpRequest, number: str) -> Return:
    customer = _customer(request)
    ret = returns.returns_with_lines(Return.objects.filter(number=number, order__customer=customer)).first()
    if ret is None:
        raise Http404
    return ret


def parse_quantity(raw) -> int:
    try:
        return max(int(str(raw or "0").strip()), 0)
    except ValueError:
        return -1


@login_required
def return_start(request: HttpRequest, number: str) -> HttpResponse:
    customer = _customer(request)
    try:
        order = selectors.customer_order(customer=customer, number=number)
    except Order.DoesNotExist as exc:
        raise Http404 from exc
    rows = returns.returnable_lines(order)
    stores = list(Location.objects.taking_returns().filter(kind__in=["store", "popup"]).order_by("prefecture", "code"))
    errors: dict[str, list[str]] = {}
    chosen = {}
    if request.method == "POST":
        lines = []
        for row in rows:
            quantity = parse_quantity(request.POST.get(f"quantity-{row.line.pk}"))
            reason = request.POST.get(f"reason-{row.line.pk}", "")
            chosen[row.line.pk] = (quantity, reason)
            if quantity:
                lines.append(returns.ReturnLineIn(order_line=row.line.pk, quantity=quantity, reason=reason))
        method = request.POST.get("method", "")
        location = next((store for store in stores if str(store.pk) == request.POST.get("location")), None)
        try:
            ret = returns.return_request(order=order, lines=lines, method=method, location=location,
                                         note=request.POST.get("note", ""), acting_user=request.user)
        except InvalidOrder as exc:
            errors = exc.errors
        else:
            messages.success(request, _("Your return %(number)s is registered.") % {"number": ret.number})
            return redirect("storefront:return", number=ret.number)
    line_errors = {}
    for index, line in enumerate([r for r in rows if chosen.get(r.line.pk, (0,))[0]]):
        line_errors[line.line.pk] = [m for key, ms in errors.items() if key.startswith(f"lines.{index}.") for m in ms]
    context = {
        "order": order, "rows": [{"row": row, "chosen": chosen.get(row.line.pk, (0, "")),
                                  "errors": line_errors.get(row.line.pk, []),
                                  "options": range(0, row.returnable + 1)} for row in rows],
        "returnable": any(row.returnable for row in rows), "stores": stores, "reasons": ReturnReason.choices,
        "methods": ReturnMethod.choices, "errors": errors, "post": request.POST,
        "favourite": str(customer.favourite_location_id or ""),
        "general_errors": [m for key, ms in errors.items() if not key.startswith("lines.") or key == "lines"
                           for m in ms],
    }
    return render(request, "orders/storefront/return_start.html", context, status=400 if errors else 200)


@login_required
def return_detail(request: HttpRequest, number: str) -> HttpResponse:
    ret = _own_return(request, number)
    return render(request, "orders/storefront/return.html", {
        "ret": ret, "receipt": selectors.return_receipt(ret),
        "qr": _qr(ret),
    })


def _qr(ret: Return) -> str:
    """The return code's QR as inline SVG: segno's own markup of a code we generated."""
    if not ret.code or ret.status != ReturnStatus.REQUESTED:
        return ""
    return mark_safe(selectors.return_code_svg(ret.code))  # noqa: S308


@login_required
@require_POST
def return_cancel(request: HttpRequest, number: str) -> HttpResponse:
    ret = _own_return(request, number)
    try:
        returns.return_cancel(order_return=ret, acting_user=request.user)
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Your return %(number)s was cancelled.") % {"number": ret.number})
    return redirect("storefront:return", number=ret.number)


@login_required
def return_receipt(request: HttpRequest, number: str) -> HttpResponse:
    ret = _own_return(request, number)
    return render(request, "orders/storefront/return_receipt.html", {"ret": ret,
                                                                     "receipt": selectors.return_receipt(ret)})
