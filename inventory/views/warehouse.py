"""Console pages of the warehouse documents: transfers, purchase orders, receipts and stock
counts. Thin: they parse, check role and scope, call inventory.transfers / receiving / counts
and render. The lines of a document are edited without state on the server: each scan (or
"Add") posts the whole form back and the page (or, for htmx, the form's region) comes back
with the scanned item added up."""

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django_htmx.http import HttpResponseClientRedirect

from kernel import roles
from kernel.console import console_view, htmx_template, paginate
from kernel.models import Location

from .. import counts, receiving, transfers
from ..documents import MAX_LINE_QUANTITY, LineIn, ReceivedLineIn, variant_for_code
from ..errors import InventoryError, LinesInvalid, OutOfStock
from ..models import (
    PurchaseOrder,
    PurchaseOrderStatus,
    Receipt,
    StockCount,
    StockCountStatus,
    StockLevel,
    Transfer,
    TransferStatus,
    Variant,
)

# --- the lines of a document, edited by scanning or typing ------------------------------------


@dataclass
class Row:
    variant: Variant
    quantity: int = 0
    damaged: int = 0
    expected: int | None = None
    errors: list[str] = field(default_factory=list)


class LinesEditor:
    """The lines posted with a document form (``sku``, ``qty``, ``damaged`` repeated), plus what
    the staff member just scanned or typed into ``code`` (``scan_qty`` units, default 1)."""

    def __init__(self, data=None, *, expected: list[Row] | None = None, damaged: bool = False):
        self.rows: list[Row] = [Row(row.variant, row.quantity, 0, row.expected) for row in expected or []]
        self.with_damaged = damaged
        self.with_expected = expected is not None
        self.scan_error = ""
        self.code = ""
        if data is None:
            return
        skus, quantities = data.getlist("sku"), data.getlist("qty")
        damages = data.getlist("damaged") if damaged else []
        variants = {v.sku: v for v in Variant.objects.select_related("product").filter(sku__in=skus)}
        posted: dict[str, Row] = {}
        for index, sku in enumerate(skus):
            variant = variants.get(sku)
            if variant is None:
                continue
            row = posted.setdefault(sku, Row(variant))
            row.quantity = self._number(quantities, index, row)
            if damaged:
                row.damaged = self._number(damages, index, row)
        by_sku = {row.variant.sku: row for row in self.rows}
        for sku, row in posted.items():
            if sku in by_sku:
                by_sku[sku].quantity, by_sku[sku].damaged, by_sku[sku].errors = row.quantity, row.damaged, row.errors
            else:
                self.rows.append(row)
                by_sku[sku] = row
        remove = data.get("remove")
        if remove:
            self.rows = [row for row in self.rows if row.variant.sku != remove or row.expected is not None]
            for row in self.rows:
                if row.variant.sku == remove:
                    row.quantity = row.damaged = 0
        if data.get("action") == "fill":
            for row in self.rows:
                if row.expected is not None:
                    row.quantity = row.expected
        self.code = (data.get("code") or "").strip()
        if data.get("action") == "scan" or (self.code and data.get("action") not in ("save", "fill")):
            self._scan(data)

    @staticmethod
    def _number(values: list[str], index: int, row: Row) -> int:
        raw = (values[index] if index < len(values) else "").strip() or "0"
        try:
            value = int(raw.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
        except ValueError:
            row.errors.append(_("Give a whole number."))
            return 0
        if not 0 <= value <= MAX_LINE_QUANTITY:
            row.errors.append(_("Give a whole number from 0 to %(max)s.") % {"max": MAX_LINE_QUANTITY})
            return 0
        return value

    def _scan(self, data) -> None:
        if not self.code:  # Enter pressed in another field: nothing to add
            return
        variant = variant_for_code(self.code)
        if variant is None:
            self.scan_error = _("No variant has the SKU or barcode “%(code)s”.") % {"code": self.code}
            return
        try:
            units = int((data.get("scan_qty") or "1").strip() or "1")
        except ValueError:
            units = 0
        if not 1 <= units <= MAX_LINE_QUANTITY:
            self.scan_error = _("Give a whole number from 1 to %(max)s.") % {"max": MAX_LINE_QUANTITY}
            return
        for row in self.rows:
            if row.variant.pk == variant.pk:
                row.quantity += units
                break
        else:
            self.rows.append(Row(variant, units))
        self.code = ""
        self.scanned = variant

    @property
    def is_valid(self) -> bool:
        return not any(row.errors for row in self.rows)

    def lines(self) -> list[LineIn]:
        return [LineIn(row.variant, row.quantity) for row in self.rows if row.quantity]

    def received(self) -> list[ReceivedLineIn]:
        return [ReceivedLineIn(row.variant, row.quantity, row.damaged) for row in self.rows
                if row.quantity or row.damaged]

    def add_errors(self, exc: LinesInvalid, lines: list) -> list[str]:
        """Put the service's ``lines.<i>.<field>`` errors on the rows; return the others."""
        others = []
        for path, messages_ in exc.errors.items():
            parts = path.split(".")
            if parts[0] == "lines" and len(parts) == 3 and int(parts[1]) < len(lines):
                variant = lines[int(parts[1])].variant
                for row in self.rows:
                    if row.variant.pk == variant.pk:
                        row.errors.extend(str(m) for m in messages_)
            else:
                others.extend(str(m) for m in messages_)
        return others

    @property
    def total(self) -> int:
        return sum(row.quantity for row in self.rows)


def _is_edit(request) -> bool:
    """A post that only edits the lines (scan, remove, fill) and saves nothing."""
    return request.POST.get("action") != "save"


def _done(request, url: str):
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _render_form(request, template: str, context: dict, *, status: int = 200):
    if request.htmx and request.method == "POST":
        template += "#doc-form"
    return render(request, template, context, status=status)


def _stock_error_messages(exc: InventoryError) -> list[str]:
    if isinstance(exc, OutOfStock):
        return [_("Not enough stock at the source: %(lines)s. Nothing was changed.") % {"lines": ", ".join(
            _("%(sku)s %(available)d available of %(requested)d") % {
                "sku": line.sku, "available": line.available, "requested": line.requested} for line in exc.lines)}]
    return [str(exc)]


def _location_field(label, locations):
    return forms.ModelChoiceField(label=label, queryset=locations, empty_label=None)


# --- transfers ----------------------------------------------------------------------------------

TRANSFER_TABS = [
    ("open", gettext_lazy("Open")),
    ("requested", TransferStatus.REQUESTED.label),
    ("approved", TransferStatus.APPROVED.label),
    ("in_transit", TransferStatus.IN_TRANSIT.label),
    ("done", gettext_lazy("Done")),
    ("all", gettext_lazy("All")),
]


def _transfers_for(user):
    return Transfer.objects.touching(roles.scoped_locations(user))


@console_view("inventory.view_transfer")
def transfer_list(request):
    tab = request.GET.get("status", "open")
    if tab not in dict(TRANSFER_TABS):
        tab = "open"
    direction = request.GET.get("direction", "")
    items = _transfers_for(request.user)
    scoped = roles.is_scoped(request.user)
    if scoped and direction == "in":
        items = items.filter(destination=request.user.location_id)
    elif scoped and direction == "out":
        items = items.filter(source=request.user.location_id)
    if tab == "open":
        items = items.open()
    elif tab == "done":
        items = items.filter(status__in=[TransferStatus.RECEIVED, TransferStatus.CANCELLED])
    elif tab != "all":
        items = items.filter(status=tab)
    items = items.select_related("source", "destination").annotate(
        units=Sum("lines__requested"), line_count=Count("lines")).order_by("-created_at", "-id")
    page = paginate(request, items, per_page=50)
    context = {"page": page, "tab": tab, "tabs": TRANSFER_TABS, "direction": direction, "scoped": scoped,
               "can_request": request.user.has_perm("inventory.add_transfer")}
    return render(request, htmx_template(request, "inventory/console/warehouse/transfers.html", "results"), context)


class TransferForm(forms.Form):
    source = forms.ModelChoiceField(label=gettext_lazy("From"), queryset=Location.objects.none(), empty_label=None)
    destination = forms.ModelChoiceField(label=gettext_lazy("To"), queryset=Location.objects.none(),
                                         empty_label=None)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        active = Location.objects.active().order_by("kind", "code")
        self.fields["source"].queryset = active
        self.fields["destination"].queryset = active
        self.user = user

    def clean(self):
        data = super().clean()
        source, destination = data.get("source"), data.get("destination")
        if source and destination:
            if source == destination:
                self.add_error("destination", _("A transfer goes to another location."))
            elif not (roles.can_act_at(self.user, source) or roles.can_act_at(self.user, destination)):
                self.add_error(None, _("You can only request transfers into or out of your own location."))
        return data


@console_view("inventory.add_transfer")
def transfer_new(request):
    user = request.user
    initial = {}
    if roles.is_scoped(user) and user.location is not None:
        # a store asks a warehouse for stock; a warehouse pushes stock to a store
        warehouse = Location.objects.active().filter(kind="warehouse").exclude(pk=user.location_id).first()
        if user.location.kind == "warehouse":
            initial = {"source": user.location_id}
        else:
            initial = {"destination": user.location_id, "source": warehouse.pk if warehouse else None}
    form = TransferForm(request.POST or None, user=user, initial=initial)
    editor = LinesEditor(request.POST if request.method == "POST" else None)
    errors: list[str] = []
    status = 200
    if request.method == "POST" and not _is_edit(request):
        if form.is_valid() and editor.is_valid:
            lines = editor.lines()
            try:
                transfer = transfers.transfer_request(source=form.cleaned_data["source"],
                                                      destination=form.cleaned_data["destination"], lines=lines,
                                                      note=form.cleaned_data["note"], acting_user=user)
            except LinesInvalid as exc:
                errors = editor.add_errors(exc, lines)
            except InventoryError as exc:
                errors = _stock_error_messages(exc)
            else:
                messages.success(request, _("Transfer %(number)s was requested.") % {"number": transfer.number})
                return _done(request, transfer.get_absolute_url())
        status = 400
    context = {"form": form, "editor": editor, "errors": errors}
    return _render_form(request, "inventory/console/warehouse/transfer_new.html", context, status=status)


def _transfer(request, number: str) -> Transfer:
    return get_object_or_404(_transfers_for(request.user).select_related(
        "source", "destination", "requested_by", "approved_by", "shipped_by", "received_by"), number=number)


def _transfer_steps(user, transfer: Transfer) -> dict:
    at_source, at_destination = roles.can_act_at(user, transfer.source), roles.can_act_at(user, transfer.destination)
    may = user.has_perm("inventory.add_transfer")
    status = transfer.status
    return {
        "approve": may and at_source and status == TransferStatus.REQUESTED,
        "ship": may and at_source and status == TransferStatus.APPROVED,
        "cancel": may and (at_source or (at_destination and status == TransferStatus.REQUESTED))
        and status in (TransferStatus.REQUESTED, TransferStatus.APPROVED)
        and not transfer.hold_reference,  # an order's transfer is called off by cancelling the order
        "receive": user.has_perm("inventory.add_receipt") and at_destination and status == TransferStatus.IN_TRANSIT,
    }


@console_view("inventory.view_transfer")
def transfer_detail(request, number: str):
    transfer = _transfer(request, number)
    lines = list(transfer.lines.select_related("variant__product").order_by("id"))
    receipt = Receipt.objects.filter(transfer=transfer).first()
    context = {"transfer": transfer, "lines": lines, "steps": _transfer_steps(request.user, transfer),
               "receipt": receipt, "errors": []}
    return render(request, "inventory/console/warehouse/transfer_detail.html", context)


TRANSFER_ACTIONS = ("approve", "ship", "cancel")


@console_view("inventory.add_transfer")
def transfer_action(request, number: str, action: str):
    if request.method != "POST" or action not in TRANSFER_ACTIONS:
        raise Http404
    transfer = _transfer(request, number)
    steps = _transfer_steps(request.user, transfer)
    if not steps[action]:
        if action in ("approve", "ship") and not roles.can_act_at(request.user, transfer.source):
            raise PermissionDenied(_("Only the sending location can do this."))
        messages.error(request, _("%(number)s is %(status)s: this step is not possible now.") % {
            "number": transfer.number, "status": transfer.get_status_display()})
        return redirect(transfer.get_absolute_url())
    lines = list(transfer.lines.select_related("variant__product").order_by("id"))
    try:
        if action == "approve":
            transfers.transfer_approve(transfer=transfer, acting_user=request.user)
            messages.success(request, _("%(number)s was approved: the units are held for it.") % {
                "number": transfer.number})
        elif action == "ship":
            shipped = {}
            for line in lines:
                raw = (request.POST.get(f"shipped-{line.pk}") or "").strip()
                shipped[line.variant_id] = int(raw) if raw.isdigit() else -1
            transfers.transfer_ship(transfer=transfer, shipped=shipped, acting_user=request.user)
            messages.success(request, _("%(number)s was shipped and is in transit.") % {"number": transfer.number})
        else:
            transfers.transfer_cancel(transfer=transfer, acting_user=request.user)
            messages.success(request, _("%(number)s was cancelled.") % {"number": transfer.number})
    except InventoryError as exc:
        context = {"transfer": transfer, "lines": lines, "steps": steps,
                   "errors": _stock_error_messages(exc), "posted": request.POST}
        return render(request, "inventory/console/warehouse/transfer_detail.html", context, status=400)
    return redirect(transfer.get_absolute_url())


# --- purchase orders ------------------------------------------------------------------------------

def _orders_for(user):
    return PurchaseOrder.objects.filter(location__in=roles.scoped_locations(user))


@console_view("inventory.view_purchaseorder")
def purchase_order_list(request):
    tab = request.GET.get("status", "open")
    items = _orders_for(request.user)
    if tab == "open":
        items = items.filter(status__in=[PurchaseOrderStatus.OPEN, PurchaseOrderStatus.PARTIAL])
    elif tab in PurchaseOrderStatus.values:
        items = items.filter(status=tab)
    else:
        tab = "all"
    items = items.select_related("location").annotate(ordered=Sum("lines__ordered"), received=Sum("lines__received")
                                                      ).order_by("expected_on", "-id")
    page = paginate(request, items, per_page=50)
    context = {"page": page, "tab": tab, "can_create": request.user.has_perm("inventory.add_purchaseorder"),
               "tabs": [("open", _("Expected")), ("received", PurchaseOrderStatus.RECEIVED.label),
                        ("cancelled", PurchaseOrderStatus.CANCELLED.label), ("all", _("All"))]}
    return render(request, htmx_template(request, "inventory/console/warehouse/purchase_orders.html", "results"),
                  context)


class PurchaseOrderForm(forms.Form):
    location = forms.ModelChoiceField(label=gettext_lazy("Deliver to"), queryset=Location.objects.none(),
                                      empty_label=None)
    supplier_name = forms.CharField(label=gettext_lazy("Supplier"), max_length=120)
    supplier_reference = forms.CharField(label=gettext_lazy("Supplier's reference"), max_length=60, required=False)
    expected_on = forms.DateField(label=gettext_lazy("Expected on"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, locations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations


@console_view("inventory.add_purchaseorder")
def purchase_order_new(request):
    locations = roles.scoped_locations(request.user).filter(is_active=True).order_by("kind", "code")
    form = PurchaseOrderForm(request.POST or None, locations=locations)
    editor = LinesEditor(request.POST if request.method == "POST" else None)
    errors, status = [], 200
    if request.method == "POST" and not _is_edit(request):
        if form.is_valid() and editor.is_valid:
            data, lines = form.cleaned_data, editor.lines()
            try:
                order = receiving.purchase_order_create(
                    location=data["location"], supplier_name=data["supplier_name"], lines=lines,
                    supplier_reference=data["supplier_reference"], expected_on=data["expected_on"],
                    acting_user=request.user)
            except LinesInvalid as exc:
                errors = editor.add_errors(exc, lines)
            else:
                messages.success(request, _("Purchase order %(number)s was recorded.") % {"number": order.number})
                return _done(request, order.get_absolute_url())
        status = 400
    context = {"form": form, "editor": editor, "errors": errors}
    return _render_form(request, "inventory/console/warehouse/purchase_order_new.html", context, status=status)


@console_view("inventory.view_purchaseorder")
def purchase_order_detail(request, number: str):
    order = get_object_or_404(_orders_for(request.user).select_related("location", "created_by"), number=number)
    if request.method == "POST":
        if not request.user.has_perm("inventory.add_purchaseorder"):
            raise PermissionDenied
        try:
            receiving.purchase_order_close(purchase_order=order, acting_user=request.user)
        except InventoryError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(number)s was closed: nothing more is expected.") % {"number": order.number})
        return redirect(order.get_absolute_url())
    context = {
        "order": order,
        "lines": order.lines.select_related("variant__product").order_by("id"),
        "receipts": order.receipts.select_related("received_by").annotate(units=Sum("lines__quantity")),
        "can_receive": request.user.has_perm("inventory.add_receipt") and order.is_open,
        "can_close": request.user.has_perm("inventory.add_purchaseorder") and order.is_open,
    }
    return render(request, "inventory/console/warehouse/purchase_order_detail.html", context)


# --- receipts --------------------------------------------------------------------------------------

def _receipts_for(user):
    return Receipt.objects.filter(location__in=roles.scoped_locations(user))


@console_view("inventory.view_receipt")
def receipt_list(request):
    locations = roles.scoped_locations(request.user)
    items = _receipts_for(request.user).select_related("location", "purchase_order", "transfer", "received_by")
    query = request.GET.get("q", "").strip()
    if query:
        items = items.filter(Q(number__iexact=query) | Q(purchase_order__number__iexact=query)
                             | Q(transfer__number__iexact=query) | Q(purchase_order__supplier_name__icontains=query))
    items = items.annotate(units=Sum("lines__quantity"), damaged=Sum("lines__damaged")).order_by("-created_at", "-id")
    page = paginate(request, items, per_page=50)
    expected_orders = (PurchaseOrder.objects.filter(location__in=locations, status__in=[
        PurchaseOrderStatus.OPEN, PurchaseOrderStatus.PARTIAL]).select_related("location")
        .order_by("expected_on", "id")[:20])
    incoming = (Transfer.objects.filter(destination__in=locations, status=TransferStatus.IN_TRANSIT)
                .select_related("source", "destination").order_by("shipped_at")[:20])
    context = {"page": page, "query": query, "expected_orders": expected_orders, "incoming": incoming,
               "can_receive": request.user.has_perm("inventory.add_receipt")}
    return render(request, htmx_template(request, "inventory/console/warehouse/receipts.html", "results"), context)


class ReceiptForm(forms.Form):
    location = forms.ModelChoiceField(label=gettext_lazy("Location"), queryset=Location.objects.none(),
                                      empty_label=None)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False,
                           help_text=gettext_lazy("The delivery note's number, the carrier…"))

    def __init__(self, *args, locations=None, fixed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations
        if fixed is not None:
            self.fields["location"].queryset = locations.filter(pk=fixed.pk)
            self.fields["location"].initial = fixed.pk


@console_view("inventory.add_receipt")
def receipt_new(request):
    source = request.POST if request.method == "POST" else request.GET
    locations = roles.scoped_locations(request.user).filter(is_active=True).order_by("kind", "code")
    order = transfer = None
    expected: list[Row] | None = None
    if source.get("po"):
        order = get_object_or_404(_orders_for(request.user).select_related("location"), number=source["po"])
        expected = [Row(line.variant, 0, 0, line.outstanding)
                    for line in order.lines.select_related("variant__product").order_by("id")]
    elif source.get("transfer"):
        transfer = get_object_or_404(Transfer.objects.filter(destination__in=locations).select_related(
            "source", "destination"), number=source["transfer"])
        expected = [Row(line.variant, 0, 0, line.shipped)
                    for line in transfer.lines.select_related("variant__product").order_by("id")]
    fixed = order.location if order else transfer.destination if transfer else None
    form = ReceiptForm(request.POST or None, locations=locations, fixed=fixed)
    editor = LinesEditor(request.POST if request.method == "POST" else None, expected=expected, damaged=True)
    errors, status = [], 200
    if request.method == "POST" and not _is_edit(request):
        if form.is_valid() and editor.is_valid:
            location = form.cleaned_data["location"]
            roles.require_location(request.user, location)
            lines = editor.received()
            try:
                receipt = receiving.receipt_create(location=location, lines=lines, purchase_order=order,
                                                   transfer=transfer, note=form.cleaned_data["note"],
                                                   acting_user=request.user)
            except LinesInvalid as exc:
                errors = editor.add_errors(exc, lines)
            except InventoryError as exc:
                errors = [str(exc)]
            else:
                messages.success(request, pgettext("stock", "Receipt %(number)s was booked: %(units)d units.") % {
                    "number": receipt.number, "units": sum(line.quantity for line in lines)})
                return _done(request, receipt.get_absolute_url())
        status = 400
    context = {"form": form, "editor": editor, "errors": errors, "order": order, "transfer": transfer,
               "may_over": request.user.has_perm(transfers.OVER_PERMISSION)}
    return _render_form(request, "inventory/console/warehouse/receipt_new.html", context, status=status)


@console_view("inventory.view_receipt")
def receipt_detail(request, number: str):
    receipt = get_object_or_404(_receipts_for(request.user).select_related(
        "location", "purchase_order", "transfer__source", "received_by"), number=number)
    context = {"receipt": receipt, "lines": receipt.lines.select_related("variant__product").order_by("id")}
    return render(request, "inventory/console/warehouse/receipt_detail.html", context)


# --- stock counts ------------------------------------------------------------------------------------

def _counts_for(user):
    return StockCount.objects.filter(location__in=roles.scoped_locations(user))


@console_view("inventory.view_stockcount")
def count_list(request):
    tab = request.GET.get("status", "open")
    items = _counts_for(request.user)
    if tab == "open":
        items = items.filter(status__in=counts.OPEN_STATES)
    elif tab in StockCountStatus.values:
        items = items.filter(status=tab)
    else:
        tab = "all"
    items = items.select_related("location", "started_by", "submitted_by").annotate(
        line_count=Count("lines")).order_by("-created_at", "-id")
    page = paginate(request, items, per_page=50)
    context = {"page": page, "tab": tab, "can_start": request.user.has_perm("inventory.add_stockcount"),
               "tabs": [("open", _("Open")), ("submitted", StockCountStatus.SUBMITTED.label),
                        ("posted", StockCountStatus.POSTED.label), ("all", _("All"))]}
    return render(request, htmx_template(request, "inventory/console/warehouse/counts.html", "results"), context)


class CountStartForm(forms.Form):
    location = forms.ModelChoiceField(label=gettext_lazy("Location"), queryset=Location.objects.none(),
                                      empty_label=None)
    zone = forms.CharField(label=gettext_lazy("Zone / bin"), max_length=30, required=False,
                           help_text=gettext_lazy("Leave empty to count the whole location."))
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args, locations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations


@console_view("inventory.add_stockcount")
def count_new(request):
    locations = roles.scoped_locations(request.user).filter(is_active=True).order_by("kind", "code")
    form = CountStartForm(request.POST or None, locations=locations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            count = counts.count_start(location=data["location"], zone=data["zone"], note=data["note"],
                                       acting_user=request.user)
        except InventoryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Count %(number)s started: %(n)d items to count.") % {
                "number": count.number, "n": count.lines.count()})
            return redirect(count.get_absolute_url())
    zones = (StockLevel.objects.filter(location__in=locations).exclude(zone="").order_by("zone")
             .values_list("zone", flat=True).distinct()[:200])
    return render(request, "inventory/console/warehouse/count_new.html", {"form": form, "zones": zones},
                  status=400 if request.method == "POST" else 200)


def _count(request, number: str) -> StockCount:
    return get_object_or_404(_counts_for(request.user).select_related(
        "location", "started_by", "submitted_by", "approved_by"), number=number)


def _count_context(request, count: StockCount, **extra) -> dict:
    user = request.user
    may_count = user.has_perm("inventory.add_stockcount")
    may_approve = user.has_perm("inventory.approve_stockcount") and (
        count.submitted_by_id != user.pk or user.has_perm(counts.APPROVE_OWN_PERMISSION))
    lines = count.lines.select_related("variant__product").order_by("variant__sku")
    return {"count": count, "lines": lines, "may_count": may_count and count.status == StockCountStatus.COUNTING,
            "may_approve": may_approve and count.status == StockCountStatus.SUBMITTED,
            "own_count": count.submitted_by_id == user.pk,
            "blind": count.status == StockCountStatus.COUNTING, **extra}


@console_view("inventory.view_stockcount")
def count_detail(request, number: str):
    count = _count(request, number)
    return render(request, "inventory/console/warehouse/count_detail.html", _count_context(request, count))


@console_view("inventory.add_stockcount")
def count_enter(request, number: str):
    """A scan (+1, or ``scan_qty``) or a typed quantity for one line (``set-<line id>``), then the
    count's entry region again (htmx) or the page."""
    if request.method != "POST":
        raise Http404
    count = _count(request, number)
    error, scanned = "", None
    try:
        line_id = request.POST.get("line")
        if line_id:
            line = get_object_or_404(count.lines.select_related("variant"), pk=line_id)
            raw = (request.POST.get(f"counted-{line.pk}") or "").strip()
            raw = raw.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
            if not raw.isdigit():
                raise LinesInvalid({"quantity": [_("Give a whole number.")]})
            scanned = counts.count_enter(count=count, variant=line.variant, quantity=int(raw), acting_user=request.user)
        else:
            code = (request.POST.get("code") or "").strip()
            variant = variant_for_code(code)
            if variant is None:
                raise LinesInvalid({"code": [_("No variant has the SKU or barcode “%(code)s”.") % {"code": code}
                                             if code else _("Scan or type a JAN barcode or a SKU.")]})
            raw = (request.POST.get("scan_qty") or "1").strip()
            units = int(raw) if raw.isdigit() else -1
            scanned = counts.count_enter(count=count, variant=variant, quantity=units, add=True,
                                         acting_user=request.user)
    except InventoryError as exc:
        error = str(exc)
    context = _count_context(request, count, error=error, scanned=scanned)
    template = "inventory/console/warehouse/count_detail.html"
    if request.htmx:
        template += "#entry"
    return render(request, template, context, status=400 if error else 200)


COUNT_ACTIONS = {"submit": counts.count_submit, "approve": counts.count_approve, "recount": counts.count_recount,
                 "cancel": counts.count_cancel}


@console_view("inventory.add_stockcount")
def count_action(request, number: str, action: str):
    if request.method != "POST" or action not in COUNT_ACTIONS:
        raise Http404
    count = _count(request, number)
    if action == "approve" and not request.user.has_perm("inventory.approve_stockcount"):
        raise PermissionDenied
    try:
        COUNT_ACTIONS[action](count=count, acting_user=request.user)
    except InventoryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, {
            "submit": _("%(number)s was submitted for approval."),
            "approve": _("%(number)s was approved and posted to the stock ledger."),
            "recount": _("%(number)s was sent back for a recount."),
            "cancel": _("%(number)s was cancelled."),
        }[action] % {"number": count.number})
    return redirect(count.get_absolute_url())
