"""Storefront pages of the orders domain: the product page (catalogue + cart + the
customer's event stream), the cart, checkout, and the customer's account with
their orders and receipts. Thin: parse, call a service or selector, render."""

import re
from dataclasses import dataclass

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from customers.consent import consent_grid_rows
from customers.identities import member_card_issue
from customers.models import Identity, IdentityKind
from customers.views.storefront import web_channel
from inventory.models import AvailabilityLevel, StockPolicy, Variant
from inventory.selectors import catalogue, product_availability
from kernel.browser import browser_id, browser_id_issue, tracking_refused
from kernel.japan import Prefecture
from kernel.models import Location
from orders import selectors
from orders.cart import (
    CartLineView,
    cart_checkout,
    cart_code_apply,
    cart_code_remove,
    cart_count,
    cart_find,
    cart_lines,
    cart_pricing,
    cart_remove,
    cart_set,
    cart_tracking_allowed,
)
from orders.cart import (
    cart_add as cart_add_service,
)
from orders.errors import CartFull, DiscountRefused, InvalidOrder, InvalidTransition, OutOfStock
from orders.forms import AddressForm, AddToCartForm, CartLineForm, CheckoutForm
from orders.models import FulfillmentMethod, Order, OrderEventKind
from orders.services import (
    MAX_LINE_QUANTITY,
    MAX_REASON_LENGTH,
    ContactIn,
    FulfillmentIn,
    order_cancel_authorize_customer,
    order_cancel_by_customer,
)
from orders.shipping import shipping_fee

# The checkout form's token: what ``new_checkout_token`` makes (and nothing a user can stuff in).
CHECKOUT_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")


def _customer(request: HttpRequest):
    if not request.user.is_authenticated:
        return None
    return getattr(request.user, "customer", None)


def _cart_owner(request: HttpRequest, *, issue: bool = False) -> dict:
    """Whose cart this request uses: the signed-in customer's, else this browser's (its id
    issued only by a request that stores something, ``issue``)."""
    customer = _customer(request)
    if customer is not None:
        return {"customer": customer, "browser_id": None}
    return {"customer": None, "browser_id": browser_id_issue(request) if issue else browser_id(request)}


def _tracking(request: HttpRequest, customer) -> bool:
    return cart_tracking_allowed(customer=customer, refused=tracking_refused(request))


# --- product page ---------------------------------------------------------------------------

# The product page's CSS modifier (and mark) per level; the levels themselves live in inventory.
STOCK_CSS = {AvailabilityLevel.IN_STOCK: "in", AvailabilityLevel.FEW_LEFT: "low",
             AvailabilityLevel.TO_ORDER: "order", AvailabilityLevel.OUT_OF_STOCK: "out"}


@dataclass(frozen=True)
class StoreStock:
    location: Location
    available: int
    stock_policy: str = StockPolicy.NORMAL

    @property
    def level(self) -> AvailabilityLevel:
        return AvailabilityLevel.of(self.available, stock_policy=self.stock_policy)

    @property
    def status(self) -> str:
        return STOCK_CSS[self.level]

    @property
    def label(self) -> str:
        return self.level.label


def product_page(request: HttpRequest, code: str) -> HttpResponse:
    product = get_object_or_404(catalogue(), code=code)
    variants = list(product.variants.all())
    if not variants:
        raise Http404
    chosen = next((v for v in variants if v.sku == request.GET.get("sku")), variants[0])
    stores = list(Location.objects.pickup_points().order_by("prefecture", "code"))
    by_sku = {row.variant.sku: row for row in product_availability(product=product, locations=stores)}
    store_stock = [StoreStock(location, by_sku[chosen.sku].by_location.get(location.id, 0), product.stock_policy)
                   for location in stores]
    prices = [v.price for v in variants]
    context = {
        "product": product, "variants": variants, "chosen": chosen, "store_stock": store_stock,
        "images": list(product.images.all()), "min_price": min(prices), "max_price": max(prices),
    }
    template = "orders/storefront/product.html"
    if request.htmx and request.htmx.target == "availability":
        return render(request, template + "#availability", context)
    form = AddToCartForm(variants=variants, initial={"sku": chosen.sku, "quantity": 1}, auto_id="cart_%s")
    form.fields["sku"].widget.attrs.update({
        "hx-get": product.get_absolute_url(), "hx-target": "#availability", "hx-swap": "outerHTML",
        "hx-trigger": "change",
    })
    context["form"] = form
    # A GET writes nothing. The view is measured by the first-party events script
    # (customers.tracking, "product_view"), and only with the visitor's analytics consent.
    return render(request, template, context)


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    sku = request.POST.get("sku", "")[:60]
    variants = list(Variant.objects.select_related("product").filter(sku=sku, product__is_active=True))
    form = AddToCartForm(request.POST, variants=variants)
    ok = form.is_valid()
    if ok:
        variant, quantity = variants[0], form.cleaned_data["quantity"]
        owner = _cart_owner(request, issue=True)
        try:
            cart_add_service(variant=variant, quantity=quantity, tracking=_tracking(request, owner["customer"]),
                             channel=web_channel(), acting_user=request.user if owner["customer"] else None,
                             **owner)
        except CartFull as exc:
            ok, message = False, exc.detail()
        else:
            message = _("Added to your cart: %(name)s %(label)s × %(quantity)s") % {
                "name": variant.product.name, "label": variant.label, "quantity": quantity}
    else:
        message = " ".join(error for errors in form.errors.values() for error in errors)
    if request.htmx:
        return render(request, "orders/storefront/cart_added.html",
                      {"ok": ok, "message": message, "cart_count": _badge_count(request)})
    if ok:
        messages.success(request, message)
        return redirect("storefront:cart")
    messages.error(request, message)
    return redirect(variants[0].product.get_absolute_url() if variants else "storefront:catalogue")


def _badge_count(request: HttpRequest) -> int:
    return cart_count(**_cart_owner(request))


# --- cart ------------------------------------------------------------------------------------

def _cart_context(request: HttpRequest, owner: dict, **extra) -> dict:
    cart = cart_find(**owner)
    pricing = cart_pricing(cart=cart, lines=cart_lines(cart), customer=owner["customer"], channel=web_channel())
    lines = pricing.lines
    return {"lines": lines, "summary": pricing.summary, "pricing": pricing, "line_errors": {}, "code_error": "",
            "has_unavailable": any(not line.available for line in lines),
            "cart_count": sum(line.quantity for line in lines), "max_quantity": MAX_LINE_QUANTITY,
            "delivery_fee_yen": settings.SHIPPING_FEE_YEN, "delivery_free_over": settings.SHIPPING_FREE_OVER_YEN,
            **extra}


def _cart_response(request: HttpRequest, context: dict, *, failed: bool) -> HttpResponse:
    template = "orders/storefront/cart.html"
    if request.htmx:
        template += "#cart"
    return render(request, template, context, status=422 if failed and not request.htmx else 200)


def cart_page(request: HttpRequest) -> HttpResponse:
    owner = _cart_owner(request)
    line_errors: dict[str, list[str]] = {}
    if request.method == "POST":
        sku = request.POST.get("sku", "")[:60]
        tracking = _tracking(request, owner["customer"])
        acting_user = request.user if owner["customer"] else None
        if request.POST.get("action") == "remove":
            cart_remove(sku=sku, tracking=tracking, acting_user=acting_user, **owner)
        else:
            cart = cart_find(**owner)
            skus = cart.lines.values_list("sku", flat=True) if cart else ()
            form = CartLineForm(request.POST, cart_skus=skus)
            if form.is_valid():
                cart_set(sku=form.cleaned_data["sku"], quantity=form.cleaned_data["quantity"], tracking=tracking,
                         acting_user=acting_user, **owner)
            else:
                line_errors[sku] = [error for errors in form.errors.values() for error in errors]
        if not request.htmx and not line_errors:
            return redirect("storefront:cart")
    return _cart_response(request, _cart_context(request, owner, line_errors=line_errors), failed=bool(line_errors))


@require_POST
def cart_codes(request: HttpRequest) -> HttpResponse:
    """Apply a discount code to the cart, or take one off (``action=remove``); htmx re-renders the cart."""
    code = request.POST.get("code", "")[:100]
    code_error = ""
    if request.POST.get("action") == "remove":
        cart_code_remove(code=code, **_cart_owner(request))
    else:
        try:
            cart_code_apply(code=code, channel=web_channel(), **_cart_owner(request, issue=True))
        except DiscountRefused as exc:
            code_error = " ".join(str(message) for message in exc.errors["codes"])
    if not request.htmx and not code_error:
        return redirect("storefront:cart")
    context = _cart_context(request, _cart_owner(request), code_error=code_error, code_value=code)
    return _cart_response(request, context, failed=bool(code_error))


# --- checkout --------------------------------------------------------------------------------

def _line_name(line: CartLineView) -> str:
    if not line.available:
        return line.sku
    return f"{line.variant.product.name} {line.variant.label}".strip()


def _map_order_errors(errors: dict[str, list[str]], form: CheckoutForm, address_form: AddressForm,
                      lines: list[CartLineView]) -> None:
    """InvalidOrder paths -> form field errors; line errors name the item."""
    for path, messages_ in errors.items():
        parts = path.split(".")
        if path in ("fulfillment.location", "fulfillment.method"):
            form.add_error(parts[1], messages_)
        elif parts[:2] == ["fulfillment", "address"] and len(parts) == 3 and parts[2] in address_form.fields:
            address_form.add_error(parts[2], messages_)
        elif parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(lines):
            name = _line_name(lines[int(parts[1])])
            form.add_error(None, [f"{name}: {message}" for message in messages_])
        else:
            form.add_error(None, messages_)


def _out_of_stock_message(exc: OutOfStock, lines: list[CartLineView]) -> str:
    names = {line.sku: _line_name(line) for line in lines}
    items = [
        _("%(name)s (%(available)s left, you asked for %(requested)s)") % {
            "name": names.get(short.sku, short.sku), "available": short.available, "requested": short.requested}
        for short in exc.lines
    ]
    return _("Not enough stock: %(items)s") % {"items": ", ".join(items)}


def _checkout_token(request: HttpRequest, cart) -> str:
    """The token of the checkout being submitted: the one its form carries (a second
    submission of an old form still names the order it placed), else the cart's own."""
    posted = request.POST.get("checkout_token", "") if request.method == "POST" else ""
    if CHECKOUT_TOKEN_RE.fullmatch(posted):
        return posted
    return cart.checkout_token if cart is not None else ""


def _show_placed(request: HttpRequest, order: Order) -> HttpResponse:
    messages.success(request, _("Thank you! Your order %(number)s has been placed.") % {"number": order.number})
    return redirect(order)


@login_required
def checkout(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        messages.error(request, _("This account has no customer profile. Sign up with another email to shop."))
        return redirect("storefront:cart")
    cart = cart_find(customer=customer, browser_id=None)
    token = _checkout_token(request, cart)
    if request.method == "POST" and token and (placed := selectors.checkout_order(customer=customer, token=token)):
        return _show_placed(request, placed)  # this checkout was submitted before: one order
    pricing = cart_pricing(cart=cart, lines=cart_lines(cart), customer=customer, channel=web_channel())
    lines = pricing.lines
    if not lines:
        # the same checkout submitted a moment earlier may have placed the order (emptying the
        # cart) between the look-up above and this read: show that order, not an empty cart
        if request.method == "POST" and token and (placed := selectors.checkout_order(customer=customer, token=token)):
            return _show_placed(request, placed)
        messages.info(request, _("Your cart is empty."))
        return redirect("storefront:cart")
    options = selectors.pickup_options(lines=[(line.variant.id, line.quantity) for line in lines if line.available])
    complete = [option.location.code for option in options if option.has_everything]
    favourite = customer.favourite_location_id
    initial_store = next((o.location.code for o in options if o.location.id == favourite and o.has_everything),
                         complete[0] if complete else "")
    form = CheckoutForm(request.POST or None, pickup_options=options,
                        initial={"method": FulfillmentMethod.PICKUP.value, "location": initial_store})
    address_initial = {"name": customer.full_name, "phone": customer.phone, "postal_code": customer.postal_code,
                       "prefecture": customer.prefecture}
    address_form = AddressForm(prefix="address", initial=address_initial)
    stock_problem = ""
    if request.method == "POST":
        form_ok = form.is_valid()
        ship = form_ok and form.cleaned_data["method"] == FulfillmentMethod.SHIP
        if ship:
            address_form = AddressForm(request.POST, prefix="address")
        address_ok = address_form.is_valid() if ship else True
        if form_ok and address_ok:
            method = form.cleaned_data["method"]
            fulfillment = FulfillmentIn(
                method=method,
                location=form.cleaned_data["location"] if method == FulfillmentMethod.PICKUP else "",
                address=address_form.as_address() if ship else {},
            )
            try:
                order = cart_checkout(
                    cart=cart, channel=web_channel(), customer=customer, fulfillment=fulfillment,
                    contact=ContactIn(email=customer.email or request.user.email, name=customer.full_name,
                                      phone=customer.phone),
                    acting_user=request.user, checkout_token=token,
                )
            except InvalidOrder as exc:
                _map_order_errors(exc.errors, form, address_form, lines)
            except OutOfStock as exc:
                stock_problem = _out_of_stock_message(exc, lines)
            else:
                return _show_placed(request, order)
        # The same checkout submitted a moment earlier may have placed the order (and taken
        # the stock) while this submission was being checked: show that order, not an error.
        if placed := selectors.checkout_order(customer=customer, token=token):
            return _show_placed(request, placed)
    return render(request, "orders/storefront/checkout.html", {
        "form": form, "address_form": address_form, "options": options, "lines": lines,
        "checkout_token": token, "pricing": pricing,
        "summary": pricing.summary, "stock_problem": stock_problem,
        "delivery_fee": shipping_fee(method=FulfillmentMethod.SHIP, subtotal=pricing.subtotal),
        "selected_location": form["location"].value() or "",
        "has_unavailable": any(not line.available for line in lines),
    }, status=200 if request.method == "GET" else 422)


# --- account, orders, receipts ---------------------------------------------------------------

@login_required
def account(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    context = {"customer": customer}
    if customer is not None:
        card = Identity.objects.filter(customer=customer, kind=IdentityKind.LOYALTY_CARD).order_by("id").first()
        context.update({
            "member_card": card,
            # the member QR the till scans (orders.views.till): the card number, as an inline SVG
            "member_qr": mark_safe(segno.make_qr(card.value, error="m").svg_inline(  # noqa: S308 - segno's own SVG
                scale=5, border=2, dark="#111")) if card else "",
            "orders": selectors.customer_orders(customer=customer, limit=50),
            # the customers domain's preference grid (customers/storefront/consent_grid.html)
            **consent_grid_rows(customer=customer),
            "consent_next": reverse("storefront:account") + "#consent",
        })
    return render(request, "orders/storefront/account.html", context)


@require_POST
@login_required
def member_card(request: HttpRequest) -> HttpResponse:
    """Give the signed-in customer their digital member card (customers.identities.member_card_issue)."""
    customer = _customer(request)
    if customer is None:
        raise Http404
    member_card_issue(customer=customer, acting_user=request.user)
    return redirect(reverse("storefront:account") + "#member-card")


def _own_order(request: HttpRequest, number: str) -> Order:
    customer = _customer(request)
    if customer is None:
        raise Http404
    try:
        return selectors.customer_order(customer=customer, number=number)
    except Order.DoesNotExist as exc:
        raise Http404 from exc


def _timeline(order: Order, method: str) -> list[dict]:
    at = {}
    for event in order.events.all():
        # a pickup nobody collected in time is cancelled like any other, for the customer
        kind = OrderEventKind.CANCELLED if event.kind == OrderEventKind.EXPIRED else event.kind
        at.setdefault(kind, event.created_at)
    if method == FulfillmentMethod.PICKUP:
        steps = [(OrderEventKind.PLACED, _("Order received")), (OrderEventKind.READY, _("Ready for pickup")),
                 (OrderEventKind.HANDED_OVER, _("Collected"))]
    else:
        steps = [(OrderEventKind.PLACED, _("Order received")), (OrderEventKind.SHIPPED, _("Shipped"))]
    if OrderEventKind.CANCELLED in at:
        steps = [step for step in steps if step[0] in at] + [(OrderEventKind.CANCELLED, _("Cancelled"))]
    done = [kind in at for kind, _label in steps]
    current = max((index for index, is_done in enumerate(done) if is_done), default=0)
    return [{"kind": kind, "label": label, "at": at.get(kind), "done": done[index], "current": index == current,
             "cancelled": kind == OrderEventKind.CANCELLED}
            for index, (kind, label) in enumerate(steps)]


@login_required
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    fulfillment = order.fulfillments.all()[0]
    invoice = selectors.order_invoice(order)
    return render(request, "orders/storefront/order.html", {
        "order": order, "fulfillment": fulfillment, "lines": invoice.lines, "invoice": invoice,
        "summary": invoice.tax, "timeline": _timeline(order, fulfillment.method),
        **_returns_context(order),
        "address_prefecture": Prefecture(fulfillment.address["prefecture"]).label
        if fulfillment.address.get("prefecture") in Prefecture.values else "",
        "can_cancel": _customer_may_cancel(order, request),
    })


def _returns_context(order: Order) -> dict:
    """Whether the customer can start a return of the order, and its returns."""
    from orders.models import Return
    from orders.returns import returnable_lines

    return {"can_return": any(row.returnable for row in returnable_lines(order)),
            "order_returns": list(Return.objects.filter(order=order).order_by("-id"))}


def _customer_may_cancel(order: Order, request: HttpRequest) -> bool:
    try:
        order_cancel_authorize_customer(order=order, customer=_customer(request))
    except (InvalidTransition, Order.DoesNotExist):
        return False
    return True


@login_required
def order_cancel(request: HttpRequest, number: str) -> HttpResponse:
    """The customer cancels their order: a confirmation page (GET), then the cancel (POST), the
    same service as the API's; refused once the order is being prepared."""
    order = _own_order(request, number)
    error = ""
    if request.method == "POST":
        try:
            order_cancel_by_customer(order=order, customer=_customer(request), acting_user=request.user,
                                     reason=request.POST.get("reason", ""))
        except InvalidTransition as exc:
            error = str(exc)
        else:
            messages.success(request, _("Your order %(number)s was cancelled.") % {"number": order.number})
            return redirect("storefront:order", number=order.number)
    elif not _customer_may_cancel(order, request):
        error = _("Order %(number)s is already being prepared and can no longer be cancelled online. "
                  "Please contact the store.") % {"number": order.number}
    invoice = selectors.order_invoice(order)
    return render(request, "orders/storefront/order_cancel.html", {
        "order": order, "fulfillment": order.fulfillments.all()[0], "lines": invoice.lines, "error": error,
        "max_reason_length": MAX_REASON_LENGTH,
    }, status=409 if error and request.method == "POST" else 200)


@login_required
def receipt(request: HttpRequest, number: str) -> HttpResponse:
    order = _own_order(request, number)
    return render(request, "orders/storefront/receipt.html", {
        "order": order, "invoice": selectors.order_invoice(order), "fulfillment": order.fulfillments.all()[0],
    })
