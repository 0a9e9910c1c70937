"""Back-in-stock subscriptions on the storefront and in the console (campaigns.backinstock).

Storefront: the "Notify me when it's back" block in the product page's availability section (the
``product_stock`` slot, kernel.slots: the page belongs to orders, which cannot import campaigns),
the subscribe POST behind it (htmx re-renders the block), and the customer's own list with cancel
(``account/back-in-stock/``, linked from the account navigation through the ``account_nav`` slot).

Console: who is waiting for what, per variant and store (HQ: everything; store staff: their store)."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from inventory.models import StockPolicy, Variant
from inventory.selectors import product_availability
from kernel import roles
from kernel.console import console_view, htmx_template, location_choice, paginate
from kernel.models import Location

from .. import backinstock as service
from ..errors import BackInStockRefused
from ..models_backinstock import BackInStockSource, BackInStockSubscription

ONLINE = ""  # the form's value for "online (delivery)"


def _customer(request):
    user = request.user
    if not user.is_authenticated:
        return None
    customer = getattr(user, "customer", None)
    return customer if customer is not None and customer.erased_at is None else None


# --- the product page's block ------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    value: str  # the location id, or ONLINE
    label: str


def _place_label(location: Location | None) -> str:
    return location.name if location is not None else str(_("Online (home delivery)"))


def block_html(request, *, product, variant, stores: list[tuple[Location, int]], message: str = "",
               ok: bool = True, chosen: str | None = None) -> str:
    """The block for ``variant``: the sentence for a discontinued product, the sign-in link for a
    guest, or the form listing the places where it is out of stock (online, each pickup store)
    and the places the customer already waits for. "" when there is nothing to wait for.
    ``stores``: (store, units available) as the page shows them. Two queries for a customer, one
    for a guest, none for a discontinued or backorder product."""
    context = {"product": product, "variant": variant, "message": message, "ok": ok,
               "label": variant.label or variant.sku}
    if not product.is_active:
        context["discontinued"] = service.discontinued_message(product)
        return render_to_string("campaigns/storefront/_back_in_stock.html", context, request=request)
    if product.stock_policy != StockPolicy.NORMAL:
        return ""  # orderable at zero: nothing to wait for
    out_online = not service.is_available(variant_id=variant.pk, location_id=None)
    places = ([Place(ONLINE, _place_label(None))] if out_online else []) + [
        Place(str(location.pk), location.name) for location, available in stores if available <= 0]
    customer = _customer(request)
    waiting = []
    if customer is not None:
        waiting = list(service.customer_subscriptions(customer=customer, include_closed=False)
                       .filter(variant=variant))
        taken = {str(row.location_id) if row.location_id else ONLINE for row in waiting}
        places = [place for place in places if place.value not in taken]
    if not places and not waiting and not message:
        return ""
    if chosen is None and customer is not None:  # their favourite store first, when it is out of stock there
        favourite = str(customer.favourite_location_id or "")
        chosen = favourite if any(p.value == favourite for p in places) else (places[0].value if places else "")
    product_url = f"{product.get_absolute_url()}?{urlencode({'sku': variant.sku})}"
    context.update({
        "customer": customer, "places": places, "chosen": chosen or "", "waiting": waiting,
        "login_url": f"{reverse('storefront:login')}?{urlencode({'next': product_url})}",
    })
    return render_to_string("campaigns/storefront/_back_in_stock.html", context, request=request)


def product_stock_block(request, *, slot: str, product=None, variant=None, store_stock=(), **context) -> str:
    """The ``product_stock`` slot filler (kernel.slots): the block for the size being looked at."""
    if product is None or variant is None:
        return ""
    return block_html(request, product=product, variant=variant,
                      stores=[(row.location, row.available) for row in store_stock])


def _stores_for(product, variant) -> list[tuple[Location, int]]:
    stores = list(Location.objects.pickup_points().order_by("prefecture", "code"))
    rows = {row.variant.pk: row for row in product_availability(product=product, locations=stores)}
    by_location = rows[variant.pk].by_location if variant.pk in rows else {}
    return [(location, by_location.get(location.pk, 0)) for location in stores]


@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    """The block's form: subscribe the signed-in customer (a guest is sent to sign in)."""
    sku = request.POST.get("sku", "")[:60]
    variant = Variant.objects.select_related("product").filter(sku=sku).first()
    if variant is None:
        raise Http404
    product = variant.product
    product_url = f"{product.get_absolute_url()}?{urlencode({'sku': variant.sku})}"
    customer = _customer(request)
    if customer is None:
        login = f"{reverse('storefront:login')}?{urlencode({'next': product_url})}"
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login
            return response
        return redirect(login)
    raw = request.POST.get("location", "").strip()
    location = None
    if raw:
        location = Location.objects.filter(pk=raw).first() if raw.isdigit() else None
        if location is None:
            raise Http404
    try:
        subscription, _created = service.back_in_stock_subscribe(
            customer=customer, variant=variant, location=location, source=BackInStockSource.STOREFRONT,
            acting_user=request.user)
    except BackInStockRefused as exc:
        ok, message = False, str(exc)
    else:
        ok = True
        message = _("We will let you know once when %(item)s is back: %(place)s.") % {
            "item": " ".join(filter(None, (product.name, variant.label))), "place": _place_label(location)}
    if not request.htmx:
        (messages.success if ok else messages.error)(request, message)
        return redirect(product_url)
    html = block_html(request, product=product, variant=variant, stores=_stores_for(product, variant),
                      message=message, ok=ok, chosen=raw if not ok else None)
    return HttpResponse(html, status=200)


# --- the customer's account -----------------------------------------------------------------------

def account_nav_link(request, *, slot: str, current: str = "", **context) -> str:
    """The ``account_nav`` slot filler: the link to the customer's back-in-stock list."""
    return render_to_string("campaigns/storefront/_account_nav_link.html", {"current": current}, request=request)


@login_required
def account_list(request: HttpRequest) -> HttpResponse:
    customer = _customer(request)
    if customer is None:
        raise Http404
    rows = list(service.customer_subscriptions(customer=customer)[:100])
    return render(request, "campaigns/storefront/account_back_in_stock.html", {
        "customer": customer, "rows": rows,
        "open_rows": [row for row in rows if row.is_open], "closed_rows": [row for row in rows if not row.is_open],
    })


@require_POST
@login_required
def account_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel one of the customer's own subscriptions (anyone else's is not found)."""
    customer = _customer(request)
    if customer is None:
        raise Http404
    subscription = get_object_or_404(BackInStockSubscription.objects.select_related("variant__product", "location"),
                                     pk=pk, customer=customer)
    service.back_in_stock_cancel(subscription=subscription, acting_user=request.user)
    messages.success(request, _("You will not be told when %(item)s is back.") % {
        "item": " ".join(filter(None, (subscription.variant.product.name, subscription.variant.label)))})
    return redirect("storefront:account_back_in_stock")


# --- the console ----------------------------------------------------------------------------------------

class WaitingFilterForm(forms.Form):
    sku = forms.CharField(label=gettext_lazy("SKU or product code"), required=False, max_length=60)


@console_view("campaigns.view_backinstocksubscription")
def console_list(request: HttpRequest) -> HttpResponse:
    """Who is waiting for what: open subscriptions counted per variant and store, most wanted
    first; a SKU filter shows the customers behind the counts. Store staff see their own store."""
    scoped = roles.is_scoped(request.user)
    stores = roles.scoped_locations(request.user).filter(pk__in=service.subscribable_stores()).order_by("code")
    online = request.GET.get("location") == "online" and not scoped  # the subscriptions with no store
    if online:
        location, allowed = None, list(stores)
    else:
        location, allowed = location_choice(request, queryset=stores)
    filters = WaitingFilterForm(request.GET)
    sku = filters.cleaned_data["sku"] if filters.is_valid() else ""
    locations = roles.scoped_locations(request.user) if scoped else None
    counts = service.waiting_counts(locations=locations, location=location, online=online, sku=sku)
    page = paginate(request, counts)
    page.object_list = service.waiting_rows(page.object_list)
    people = []
    if sku:
        rows = service.visible_subscriptions(locations=locations).open().filter(variant__sku__iexact=sku.strip())
        if location is not None:
            rows = rows.filter(location=location)
        elif online:
            rows = rows.filter(location__isnull=True)
        people = list(rows.select_related("customer", "variant__product", "location").order_by("created_at")[:100])
    context = {"filters": filters, "page": page, "location": location, "locations": allowed, "online": online,
               "scoped": scoped, "sku": sku, "people": people,
               "can_view_customers": request.user.has_perm("customers.view_customer")}
    return render(request, htmx_template(request, "campaigns/console/back_in_stock.html", "results"), context)
