"""The till (POS) in the console: pick a register, scan or search items, attach a customer,
apply codes, take the tenders, print or email the receipt, void; and the pickup desk's
hand-over, which takes the money through the same tender step.

The sale being rung up (its lines, customer, codes and its idempotency key) lives in the staff
member's session, per register, until it is completed; completing calls ``orders.till.till_sale``
with that key, so a double submit gives the one sale. Thin views: the rules are in
``orders.till``, ``orders.payments`` and ``orders.services``."""

import json
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from customers.identities import identity_find
from customers.models import Customer, IdentityKind
from customers.selectors import customer_search
from inventory.errors import OutOfStock
from inventory.models import StockLevel, Variant
from kernel import channels, roles
from kernel.console import console_view, location_choice

from .. import selectors, services, till
from ..errors import DiscountRefused, InvalidOrder, InvalidTransition
from ..forms import AddressForm, TenderForm
from ..models import Fulfillment, FulfillmentMethod, ReceiptWidth, Register, RegisterSession, TillSale
from ..tax import summarise
from ..till import TillLineIn, TillSaleConflict

OPERATE = "orders.operate_register"
SESSION_KEY = "till"
# Where the registers are opened and closed (another part of the console): the first name that exists.
REGISTER_PAGES = ("console:register_list", "console:registers", "console:orders:register_list")


def _register_page() -> str:
    for name in REGISTER_PAGES:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def _selling_locations(user):
    return roles.scoped_locations(user).filter(kind__in=("store", "popup")).order_by("code")


@console_view(OPERATE)
def till_home(request):
    """The registers of the store (HQ and administrators pick the store): each with its open
    session, or a link to open it."""
    location, locations = location_choice(request, queryset=_selling_locations(request.user), default_first=True)
    registers = []
    if location is not None:
        registers = list(Register.objects.filter(location=location, is_active=True).order_by("code"))
        open_sessions = {s.register_id: s for s in RegisterSession.objects.filter(
            register__in=registers, closed_at__isnull=True)}
        for register in registers:
            register.open_session = open_sessions.get(register.pk)
    return render(request, "orders/console/till_home.html", {
        "location": location, "locations": locations, "registers": registers,
        "choose_location": not roles.is_scoped(request.user), "register_page": _register_page()})


# --- the sale being rung up ------------------------------------------------------------------

def _register(request, register: int) -> tuple[Register, RegisterSession | None]:
    found = Register.objects.select_related("location").filter(pk=register, is_active=True).first()
    if found is None:
        raise Http404
    roles.require_location(request.user, found.location)
    session = RegisterSession.objects.filter(register=found, closed_at__isnull=True).first()
    return found, session


def _ticket(request, register: Register) -> dict:
    tickets = request.session.setdefault(SESSION_KEY, {})
    ticket = tickets.get(str(register.pk))
    if not ticket:
        ticket = {"lines": [], "customer": None, "codes": [], "key": uuid.uuid4().hex}
        tickets[str(register.pk)] = ticket
        request.session.modified = True
    return ticket


def _save(request, register: Register, ticket: dict) -> None:
    request.session.setdefault(SESSION_KEY, {})[str(register.pk)] = ticket
    request.session.modified = True


def _ticket_context(request, register: Register, ticket: dict, **extra) -> dict:
    """What the ticket region shows: the lines priced with their discounts (the one discount
    hook, previewed), the codes refused, the stock here, the customer. A constant number of
    queries whatever the number of lines."""
    channel = channels.pos_channel(register.location)
    customer = Customer.objects.filter(pk=ticket["customer"]).first() if ticket.get("customer") else None
    rows, refused, summary, discount_total, total = [], [], None, 0, 0
    lines = [services.LineIn(sku=sku, quantity=quantity) for sku, quantity in ticket["lines"]]
    if lines:
        try:
            priced, _context, result = services.order_discounts_preview(
                channel=channel, lines=lines, codes=ticket.get("codes", []), customer=customer,
                method=FulfillmentMethod.PICKUP, location=register.location)
        except InvalidOrder:
            priced, result = [], None
        if result is not None:
            per_sku, reasons = result.per_sku(), result.reasons()
            stock = {level.variant_id: level for level in StockLevel.objects.filter(
                location=register.location, variant_id__in=[line.variant_id for line in priced])}
            names = Variant.objects.select_related("product").in_bulk([line.variant_id for line in priced])
            for line in priced:
                level = stock.get(line.variant_id)
                available = level.available if level else 0
                discount = per_sku.get(line.sku, 0)
                rows.append({"line": line, "variant": names.get(line.variant_id), "discount": discount,
                             "reason": reasons.get(line.sku, ""), "amount": line.amount - discount,
                             "available": available, "short": line.quantity > available})
            refused = result.refused
            discount_total = result.lines_total
            summary = summarise((row["amount"], row["line"].tax_rate) for row in rows)
            total = summary.total
    urls = {name: reverse(f"console:till_{name}", kwargs={"register": register.pk})
            for name in ("scan", "search", "line", "customer", "codes", "complete", "aisle")}
    return {"register": register, "ticket": ticket, "rows": rows, "urls": urls, "remove_label": _("Remove"),
            "max_quantity": services.MAX_LINE_QUANTITY, "customer": customer, "refused": refused,
            "discount_total": discount_total, "total": total, "summary": summary,
            "units": sum(quantity for _sku, quantity in ticket["lines"]), **extra}


def _render_ticket(request, register, ticket, **extra):
    context = _ticket_context(request, register, ticket, **extra)
    context["tender_form"] = extra.get("tender_form") or TenderForm()
    return render(request, "orders/console/till.html#ticket", context)


@console_view(OPERATE)
def till_register(request, register: int):
    register, session = _register(request, register)
    ticket = _ticket(request, register)
    context = _ticket_context(request, register, ticket)
    context.update({
        "session": session, "tender_form": TenderForm(), "register_page": _register_page(),
        "recent": till.till_recent_sales(register_session=session, limit=5) if session else [],
        "offline": _offline_context(register),
    })
    return render(request, "orders/console/till.html", context)


# --- the offline till: the price list it keeps, the words its script shows -----------------------

def _offline_context(register: Register) -> dict:
    """What static/js/till-offline.js needs from the page: where the price list and the batch
    endpoint are, and every word it shows, translated here (the script holds no text)."""
    return {
        "prices_url": reverse("console:till_prices", kwargs={"register": register.pk}),
        "batch_url": reverse("api:till_sales_batch"),
        "receipt_url": reverse("console:till_receipt", kwargs={"number": "NUMBER"}),
        "service_worker": reverse("console:till_service_worker"),
        "scope": reverse("console:till"),
        "strings": {
            "offline": _("Offline: sales are kept on this till and sent when the connection returns."),
            "back_online": _("The connection is back: finish this sale; it is sent as soon as it is done."),
            "prices_ready": _("Price list on this till: %(count)s items, %(time)s."),
            "prices_none": _("No price list on this till yet: open the till once while online to sell offline."),
            "prices_stale": _("Price list could not be refreshed; using the copy from %(time)s."),
            "not_found": _("%(code)s is not in the price list on this till. Search by name instead."),
            "added": _("Added: %(name)s"),
            "empty": _("Scan an item to start the sale."),
            "remove": _("Remove"),
            "quantity": _("Quantity"),
            "nothing_found": _("Nothing found for “%(query)s”."),
            "short": _("The tenders do not cover the total: %(rest)s still to pay."),
            "over": _("Only cash gives change: the other tenders come to more than the total."),
            "no_lines": _("Scan at least one item."),
            "queued_sale": _("Sale kept on this till: give %(change)s change. It is sent when the connection "
                             "returns."),
            "queued_sale_online": _("Sale saved: give %(change)s change. Sending it now."),
            "save_failed": _("This browser could not store the sale: nothing was kept. Take the sale on paper."),
            "status_queued": _("Waiting to send"),
            "status_sending": _("Sending"),
            "status_synced": _("Recorded"),
            "status_conflict": _("Needs attention"),
            "status_dismissed": _("Set aside"),
            "badge_queued": _("Waiting to send: %(n)s"),
            "badge_conflicts": _("Needs attention: %(n)s"),
            "badge_synced": _("all sent"),
            "queue_empty": _("No sales are waiting on this till."),
            "retry": _("Try again"),
            "dismiss": _("Set aside"),
            "dismiss_confirm": _("Set this sale aside? It will not be recorded: take its money and stock into account "
                                 "by hand (a stock adjustment, a note for the day report)."),
            "stock_warning": _("%(sku)s: recorded from units held for pickup orders or safety stock (%(on_hand)s "
                               "on hand, %(held)s held): check the pickups waiting for it."),
            "stock_conflict": _("The store's stock records hold fewer units than this sale sold: count or receive "
                                "the stock, then try again; or set the sale aside."),
            "short_line": _("%(sku)s: %(requested)s sold, %(available)s available here"),
            "sign_in": _("Could not send the queued sales: sign in again (the sales stay on this till)."),
            "server_error": _("The server did not take the queued sales (%(status)s); trying again shortly."),
            "sent": _("%(created)s sales recorded, %(replayed)s already recorded, %(refused)s need attention."),
            "receipt": _("Receipt"),
            "register": _("Register %(code)s"),
            "no_customer": _("A customer cannot be attached while offline."),
            "closed": _("This register is closed: open it before taking money."),
        },
    }


@require_GET
def till_service_worker(request):
    """The till's service worker (``orders/console/till_sw.js``), served from ``/console/till/`` so
    its scope is the till's pages. Code only, no data: no sign-in needed (a browser updating it may
    have been signed out)."""
    from django.conf import settings
    from django.template.loader import render_to_string

    body = render_to_string("orders/console/till_sw.js", {
        "version": till.TILL_SHELL_VERSION, "static_prefix": settings.STATIC_URL})
    return HttpResponse(body, content_type="text/javascript; charset=utf-8",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": reverse("console:till")})


@require_GET
@console_view(OPERATE)
@gzip_page
def till_prices(request, register: int):
    """The price list the till's offline script keeps (``orders.till.till_price_list``), as JSON
    with an ETag: a till that already holds this version gets 304 and no body."""
    register, _session = _register(request, register)
    items = till.till_price_list()
    version = till.till_price_list_version(items)
    etag = f'"{version}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    # weak comparison: gzip_page marks the ETag of a compressed body weak (W/"...")
    if etag in [tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")]:
        return HttpResponseNotModified(headers=headers)
    body = json.dumps({"version": version, "fields": till.PRICE_LIST_FIELDS, "count": len(items), "items": items},
                      ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(body, content_type="application/json", headers=headers)


def _add_line(ticket: dict, sku: str, quantity: int) -> None:
    for line in ticket["lines"]:
        if line[0] == sku:
            line[1] = min(line[1] + quantity, services.MAX_LINE_QUANTITY)
            return
    ticket["lines"].append([sku, min(quantity, services.MAX_LINE_QUANTITY)])


def _quantity(raw, default: int = 1) -> int:
    try:
        value = int(str(raw).strip() or default)
    except (TypeError, ValueError):
        return default
    return max(0, min(value, services.MAX_LINE_QUANTITY))


@require_POST
@console_view(OPERATE)
def till_scan(request, register: int):
    """What the scanner typed (then Enter): a JAN/EAN-13 or a SKU, full-width digits too. A
    number typed before ``*`` is the quantity (``3*4901234567894``)."""
    register, _session = _register(request, register)
    ticket = _ticket(request, register)
    raw = request.POST.get("code", "")
    quantity = _quantity(request.POST.get("quantity"), 1) or 1
    text = till.scan_normalise(raw)
    if "*" in text or "×" in text:
        count, _sep, text = text.replace("×", "*").partition("*")
        quantity = _quantity(count, 1) or 1
        text = till.scan_normalise(text)
    error = ""
    scanned = None
    if not text:
        error = _("Scan a barcode or type a SKU.")
    else:
        scanned = till.variant_lookup(text)
        if scanned is None:
            error = _("No item has the barcode or SKU %(code)s. Search by name instead.") % {"code": text}
        else:
            _add_line(ticket, scanned.sku, quantity)
            _save(request, register, ticket)
    return _render_ticket(request, register, ticket, scan_error=error, scanned=scanned)


@console_view(OPERATE)
def till_search(request, register: int):
    register, _session = _register(request, register)
    query = request.GET.get("q", "").strip()
    variants = till.variant_search(query) if query else []
    levels = {level.variant_id: level.available for level in StockLevel.objects.filter(
        location=register.location, variant__in=variants)}
    for variant in variants:
        variant.available_here = levels.get(variant.pk, 0)
    return render(request, "orders/console/till.html#search_results",
                  {"register": register, "variants": variants, "query": query,
                   "urls": {"scan": reverse("console:till_scan", kwargs={"register": register.pk}),
                            "aisle": reverse("console:till_aisle", kwargs={"register": register.pk})}})


@require_POST
@console_view(OPERATE)
def till_line(request, register: int):
    """Change a line's quantity (0 removes it), or empty the whole sale (``clear``)."""
    register, _session = _register(request, register)
    ticket = _ticket(request, register)
    if request.POST.get("clear"):
        ticket.update({"lines": [], "customer": None, "codes": []})
    else:
        sku = request.POST.get("sku", "")
        quantity = _quantity(request.POST.get("quantity"), 1)
        ticket["lines"] = [[s, quantity if s == sku else q] for s, q in ticket["lines"]]
        ticket["lines"] = [[s, q] for s, q in ticket["lines"] if q > 0]
    _save(request, register, ticket)
    return _render_ticket(request, register, ticket)


def _customer_matches(query: str) -> list[Customer]:
    """A member QR or card number first (the loyalty card identity), else phone, name in kana
    or kanji, email."""
    card = identity_find(kind=IdentityKind.LOYALTY_CARD, value=query)
    if card is not None:
        return [card]
    return list(customer_search(query=query, limit=8))


@require_POST
@console_view(OPERATE)
def till_customer(request, register: int):
    register, _session = _register(request, register)
    ticket = _ticket(request, register)
    matches, error = [], ""
    if request.POST.get("remove"):
        ticket["customer"] = None
    elif request.POST.get("customer"):
        chosen = Customer.objects.filter(pk=request.POST.get("customer")).first()
        ticket["customer"] = chosen.pk if chosen else None
    else:
        query = request.POST.get("q", "").strip()
        if query:
            matches = _customer_matches(query)
            if len(matches) == 1:
                ticket["customer"], matches = matches[0].pk, []
            elif not matches:
                error = _("No customer matches %(query)s.") % {"query": query}
    _save(request, register, ticket)
    return _render_ticket(request, register, ticket, customer_matches=matches, customer_error=error)


@require_POST
@console_view(OPERATE)
def till_codes(request, register: int):
    register, _session = _register(request, register)
    ticket = _ticket(request, register)
    from ..discounts import MAX_CODES, code_normalise

    remove = request.POST.get("remove", "")
    code = code_normalise(request.POST.get("code", ""))
    if remove:
        ticket["codes"] = [c for c in ticket.get("codes", []) if c != remove]
    elif code and code not in ticket.get("codes", []):
        ticket["codes"] = [*ticket.get("codes", []), code][:MAX_CODES]
    _save(request, register, ticket)
    return _render_ticket(request, register, ticket)


@require_POST
@console_view(OPERATE)
def till_complete(request, register: int):
    """Take the tenders and complete the sale (``orders.till.till_sale``) with the sale's key."""
    register, session = _register(request, register)
    ticket = _ticket(request, register)
    form = TenderForm(request.POST)
    errors: list[str] = []
    if session is None:
        errors.append(_("This register is closed: open it before taking money."))
    elif not ticket["lines"]:
        errors.append(_("Scan at least one item."))
    elif form.is_valid():
        customer = Customer.objects.filter(pk=ticket["customer"]).first() if ticket.get("customer") else None
        try:
            result = till.till_sale(
                register_session=session, idempotency_key=ticket["key"], acting_user=request.user,
                customer=customer, codes=ticket.get("codes", []), tenders=form.tenders(),
                lines=[TillLineIn(code=sku, quantity=quantity) for sku, quantity in ticket["lines"]])
        except DiscountRefused as exc:
            errors += [str(m) for m in exc.errors.get("codes", [])]
        except InvalidOrder as exc:
            tender_errors = {k: v for k, v in exc.errors.items() if k.startswith("tenders")}
            form.add_service_errors(tender_errors)
            errors += [str(m) for k, v in exc.errors.items() if not k.startswith("tenders") for m in v]
        except OutOfStock as exc:
            errors += [_("Not enough stock of %(sku)s here: %(available)s available.") % {
                "sku": line.sku, "available": line.available} for line in exc.lines]
        except TillSaleConflict as exc:
            ticket["key"] = uuid.uuid4().hex
            _save(request, register, ticket)
            errors.append(str(exc.detail()))
        else:
            request.session[SESSION_KEY].pop(str(register.pk), None)
            request.session.modified = True
            url = reverse("console:till_receipt", kwargs={"number": result.order.number}) + "?done=1"
            if request.htmx:
                return HttpResponseClientRedirect(url)
            return redirect(url)
    if request.htmx:
        return _render_ticket(request, register, ticket, tender_form=form, sale_errors=errors)
    for error in errors:
        messages.error(request, error)
    return redirect("console:till_register", register=register.pk)


# --- endless aisle ---------------------------------------------------------------------------------

@console_view(OPERATE)
def till_aisle(request, register: int):
    """Sell an item this store is out of from another location's stock: delivered to the
    customer's home or held there for pickup here, paid now (``orders.till.till_aisle_sale``)."""
    register, session = _register(request, register)
    ticket = _ticket(request, register)
    data = request.POST if request.method == "POST" else request.GET
    code = data.get("code", "")
    quantity = _quantity(data.get("quantity"), 1) or 1
    variant = till.variant_lookup(code) if code else None
    if variant is None:
        raise Http404
    sources = till.aisle_sources(variant=variant, store=register.location, quantity=quantity)
    customer = Customer.objects.filter(pk=ticket["customer"]).first() if ticket.get("customer") else None
    method = data.get("method", FulfillmentMethod.SHIP)
    if method not in FulfillmentMethod.values:
        method = FulfillmentMethod.SHIP
    initial = {}
    if customer is not None:
        initial = {"name": customer.full_name, "phone": customer.phone}
    address_form = AddressForm(request.POST if request.method == "POST" and method == FulfillmentMethod.SHIP
                               else None, initial=initial, prefix="ship")
    tender_form = TenderForm(request.POST if request.method == "POST" else None)
    errors: list[str] = []
    source = next((s.location for s in sources if str(s.location.pk) == data.get("source", "")), None)
    if request.method == "POST":
        if session is None:
            errors.append(_("This register is closed: open it before taking money."))
        address_ok = method != FulfillmentMethod.SHIP or address_form.is_valid()
        if session is not None and address_ok and tender_form.is_valid():
            try:
                result = till.till_aisle_sale(
                    register_session=session, code=variant.sku, quantity=quantity, source=source, method=method,
                    tenders=tender_form.tenders(), acting_user=request.user, customer=customer,
                    address=address_form.as_address() if method == FulfillmentMethod.SHIP else None,
                    name=customer.full_name if customer else "", phone=customer.phone if customer else "")
            except InvalidOrder as exc:
                tender_form.add_service_errors({k: v for k, v in exc.errors.items() if k.startswith("tenders")})
                errors += [str(m) for k, v in exc.errors.items() if not k.startswith("tenders") for m in v]
            except OutOfStock as exc:
                errors += [_("Not enough stock of %(sku)s there: %(available)s available.") % {
                    "sku": line.sku, "available": line.available} for line in exc.lines]
            else:
                ticket["lines"] = [[sku, q] for sku, q in ticket["lines"] if sku != variant.sku]
                _save(request, register, ticket)
                messages.success(request, _("Order %(number)s is paid: change %(change)s.") % {
                    "number": result.order.number, "change": f"¥{result.change:,}"})
                group = result.order.fulfillments.select_related("transfer").first()
                if group is not None and group.transfer is not None:
                    messages.info(request, _("Transfer %(transfer)s from %(source)s was requested: the order is ready "
                                             "for pickup when it is received here.") % {
                        "transfer": group.transfer.number, "source": source.name})
                return redirect("console:order_detail", number=result.order.number)
    # what is due: the item, its discounts and, for a delivery, the delivery fee (as order_place prices it)
    try:
        _priced, context, result = services.order_discounts_preview(
            channel=channels.pos_channel(register.location), lines=[services.LineIn(variant.sku, quantity)],
            customer=customer, method=method, location=source or register.location)
        shipping = context.shipping_fee - result.shipping_discount
        due = context.subtotal - result.lines_total + shipping
    except InvalidOrder:
        shipping, due = 0, variant.price * quantity
    return render(request, "orders/console/till_aisle.html", {
        "register": register, "session": session, "variant": variant, "quantity": quantity, "sources": sources,
        "source": source, "method": method, "customer": customer, "address_form": address_form,
        "tender_form": tender_form, "due": due, "shipping": shipping, "errors": errors,
    }, status=400 if errors or (request.method == "POST" and tender_form.errors) else 200)


# --- receipts and voids --------------------------------------------------------------------------

def _sale(request, number: str) -> TillSale:
    try:
        sale = till.till_sale_get(number=number, locations=roles.scoped_locations(request.user))
    except TillSale.DoesNotExist as exc:
        raise Http404 from exc
    return sale


@console_view(OPERATE)
def till_receipt(request, number: str):
    """The receipt page: on screen after the sale (change to give, print, email, void, next
    sale) and printable at the register's paper width (58 or 80 mm, or ``?width=``)."""
    sale = _sale(request, number)
    receipt = till.till_receipt(sale)
    width = request.GET.get("width", "")
    width = int(width) if width in ("58", "80") else receipt.register.receipt_width
    return render(request, "orders/console/till_receipt.html", {
        "receipt": receipt, "sale": sale, "order": sale.order, "width": width, "widths": ReceiptWidth.choices,
        "done": request.GET.get("done") == "1", "can_void": sale.register_session.is_open and not sale.is_voided,
    })


@require_POST
@console_view(OPERATE)
def till_receipt_reprint(request, number: str):
    sale = _sale(request, number)
    till.till_receipt_reprint(sale=sale, acting_user=request.user)
    return redirect(reverse("console:till_receipt", kwargs={"number": number}) + "?print=1")


@require_POST
@console_view(OPERATE)
def till_receipt_email(request, number: str):
    sale = _sale(request, number)
    try:
        email = till.till_receipt_email(sale=sale, email=request.POST.get("email", ""), acting_user=request.user)
    except InvalidOrder as exc:
        for message in exc.errors.get("email", []):
            messages.error(request, message)
    else:
        messages.success(request, _("The receipt is on its way to %(email)s.") % {"email": email})
    return redirect("console:till_receipt", number=number)


@require_POST
@console_view(OPERATE)
def till_void(request, number: str):
    sale = _sale(request, number)
    try:
        till.till_sale_void(sale=sale, reason=request.POST.get("reason", ""), acting_user=request.user)
    except (InvalidOrder, InvalidTransition) as exc:
        text = " ".join(str(m) for v in exc.errors.values() for m in v) if isinstance(exc, InvalidOrder) else str(exc)
        messages.error(request, text)
    else:
        messages.success(request, _("Sale %(number)s was voided: give back the money; the items are back in "
                                    "stock.") % {"number": number})
    return redirect("console:till_receipt", number=number)


# --- the pickup desk's hand-over: confirm, and take the money through the tender step --------------

@console_view("orders.run_pickup_desk")
def pickup_hand_over(request, pk: int):
    """GET: the confirmation (the order, what is due, the tender step when it is to be paid
    here). POST: hand over (``services.fulfillment_hand_over`` takes the money)."""
    try:
        fulfillment = selectors.pickup_get(pk=pk)
    except Fulfillment.DoesNotExist as exc:
        raise Http404 from exc
    roles.require_location(request.user, fulfillment.location)
    order = fulfillment.order
    sessions = list(RegisterSession.objects.select_related("register").filter(
        register__location=fulfillment.location, closed_at__isnull=True).order_by("register__code"))
    form = TenderForm(request.POST or None)
    takes_payment = services.hand_over_takes_payment(order)
    errors: list[str] = []
    if request.method == "POST":
        session = next((s for s in sessions if str(s.pk) == request.POST.get("register_session", "")), None)
        if takes_payment and request.POST.get("register_session") and session is None:
            raise PermissionDenied(_("You cannot act for this location."))
        if not takes_payment or form.is_valid():
            try:
                services.fulfillment_hand_over(fulfillment=fulfillment, acting_user=request.user,
                                               tenders=form.tenders() if takes_payment else (),
                                               register_session=session)
            except InvalidOrder as exc:
                form.add_service_errors({k: v for k, v in exc.errors.items() if k.startswith("tenders")})
                errors += [str(m) for k, v in exc.errors.items() if not k.startswith("tenders") for m in v]
            except InvalidTransition as exc:
                errors.append(str(exc))
            else:
                messages.success(request, _("Order %(number)s was handed over.") % {"number": order.number})
                return redirect(f"{reverse('console:pickup_desk')}?location={fulfillment.location_id}&status=ready")
    return render(request, "orders/console/hand_over.html", {
        "fulfillment": fulfillment, "order": order, "lines": list(fulfillment.lines.all()),
        "takes_payment": takes_payment, "due": order.total, "tender_form": form, "sessions": sessions,
        "errors": errors}, status=400 if errors or form.errors else 200)

