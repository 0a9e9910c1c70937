"""Console: the customer list (filters, sorting, paging, CSV export with progress) and the privacy
requests staff handle for a customer (a copy of their data, erasure)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kernel.console import console_view, htmx_template, paginate

from .. import customer_list as listing
from .. import privacy
from ..errors import CustomerErased
from ..models import Customer, CustomerExport, CustomerExportEncoding

CONSOLE_VIA = "console"

COLUMNS = [  # (sort key, label, css class)
    ("name", gettext_lazy("Name"), ""),
    ("since", gettext_lazy("Customer since"), "hide-phone nowrap"),
    ("last_order", gettext_lazy("Last order"), "nowrap"),
    ("spent", gettext_lazy("Total spent"), "num"),
    ("rfm", gettext_lazy("RFM"), "hide-phone nowrap"),
]


def _sort_links(request, sort: str) -> list[dict]:
    query = request.GET.copy()
    query.pop("page", None)
    links = []
    for key, label, css in COLUMNS:
        if listing.sort_allowed(key, request.user) != key:
            continue  # a column the user may not see (RFM without the scores permission)
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        # first click: names A→Z, everything else newest/largest first; a second click reverses
        next_sort = (key if descending else f"-{key}") if current else (key if key == "name" else f"-{key}")
        query["sort"] = next_sort
        links.append({"key": key, "label": label, "css": css, "url": f"?{query.urlencode()}", "current": current,
                      "descending": descending, "aria": ("descending" if descending else "ascending") if current
                      else "none"})
    return links


@console_view("customers.view_customer")
def customer_list(request):
    form = listing.CustomerListForm(request.GET or None, user=request.user)
    filters = form.filters() if request.GET else {}
    sort = listing.sort_allowed(request.GET.get("sort") or listing.DEFAULT_SORT, request.user)
    page = paginate(request, listing.customer_list(filters=filters, sort=sort), per_page=listing.PAGE_SIZE)
    can_export = request.user.has_perm("customers.export_customers")
    context = {
        "form": form, "page": page, "customers": list(page.object_list), "sort": sort, "filters": filters,
        "columns": _sort_links(request, sort), "can_export": can_export,
        "show_rfm": request.user.has_perm("customers.view_customerscore"),
        "encodings": CustomerExportEncoding.choices,
        "exports": list(CustomerExport.objects.filter(requested_by=request.user).order_by("-created_at")[:3])
        if can_export else [],
        "query": filters.get("q", ""), "title": _("Customers"),
        # how many filters besides the search narrow the list (the phone's filter drawer says so)
        "filters_active": sum(1 for name, value in filters.items() if name not in ("q", "sort") and value),
    }
    return render(request, htmx_template(request, "customers/console/customer_list_page.html", "results"), context)


def _export_refused(request, message: str):
    if request.htmx:  # the export bar swaps the answer into the list of exports
        return HttpResponse(format_html('<p class="row-note error" role="alert">{}</p>', message))
    messages.error(request, message)
    return redirect("console:customers")


@require_POST
@console_view("customers.export_customers")
def export_start(request):
    form = listing.CustomerListForm(request.POST, user=request.user)
    sort = listing.sort_allowed(request.POST.get("sort") or listing.DEFAULT_SORT, request.user)
    filters = form.filters()
    if form.errors:  # never export more than was asked for: a filter that no longer reads stops it
        return _export_refused(request, " ".join(f"{form.fields[name].label}: {' '.join(errors)}"
                                                 for name, errors in form.errors.items() if name in form.fields))
    try:
        export = listing.customer_export_request(filters=filters, sort=sort,
                                                 encoding=request.POST.get("encoding", ""), acting_user=request.user)
    except ValidationError as exc:
        return _export_refused(request, " ".join(exc.messages))
    if request.htmx:
        export.refresh_from_db()
        return render(request, "customers/console/customer_list_export.html", {"export": export})
    return redirect(reverse("console:customers") + "#exports")


def _own_export(request, pk: int) -> CustomerExport:
    export = get_object_or_404(CustomerExport, pk=pk)
    if export.requested_by_id != request.user.pk:
        raise Http404  # another person's export does not exist for you
    return export


@console_view("customers.export_customers")
def export_progress(request, pk: int):
    """The progress row of one export (htmx polls it every second while it runs)."""
    return render(request, "customers/console/customer_list_export.html", {"export": _own_export(request, pk)})


@console_view("customers.export_customers")
def export_download(request, pk: int):
    export = _own_export(request, pk)
    path = listing.export_file_path(export)
    if path is None:
        raise Http404(_("This export is not ready or was deleted."))
    charset = "shift_jis" if export.encoding == CustomerExportEncoding.SHIFT_JIS else "utf-8"
    response = FileResponse(path.open("rb"), as_attachment=True, filename=export.file_name,
                            content_type=f"text/csv; charset={charset}")
    response["Cache-Control"] = "no-store"
    return response


# --- privacy requests handled by staff -----------------------------------------------------------

class StaffEraseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Request"), max_length=200, help_text=gettext_lazy(
        "How and when the customer asked, e.g. phone call 2026-11-30, ticket 1234."))
    confirm_id = forms.IntegerField(label=gettext_lazy("Type the customer number to confirm"))

    def __init__(self, *args, customer=None, **kwargs):
        self.customer = customer
        super().__init__(*args, **kwargs)

    def clean_confirm_id(self):
        value = self.cleaned_data["confirm_id"]
        if self.customer is None or value != self.customer.pk:
            raise ValidationError(_("This is not the customer's number."), code="confirm")
        return value


@console_view("customers.handle_privacy_requests")
def privacy_request(request, pk: int, erase_form=None, status: int = 200):
    customer = get_object_or_404(Customer.objects.select_related("user"), pk=pk)
    context = {"customer": customer, "erase_form": erase_form or StaffEraseForm(customer=customer),
               "title": _("Privacy request")}
    return render(request, "customers/console/customer_list_privacy.html", context, status=status)


@require_POST
@console_view("customers.handle_privacy_requests")
def privacy_export(request, pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    try:
        body = privacy.customer_data_export(customer=customer, acting_user=request.user, via=CONSOLE_VIA)
    except CustomerErased as exc:
        messages.error(request, str(exc))
        return redirect("console:customer_privacy", pk=pk)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="customer-{customer.pk}-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@console_view("customers.handle_privacy_requests")
def privacy_erase(request, pk: int):
    customer = get_object_or_404(Customer, pk=pk)
    form = StaffEraseForm(request.POST, customer=customer)
    if not form.is_valid():
        return privacy_request.__wrapped__(request, pk, erase_form=form, status=400)
    try:
        privacy.customer_erase(customer=customer, acting_user=request.user, via=CONSOLE_VIA,
                               reason=form.cleaned_data["reason"])
    except CustomerErased as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The customer's personal data was erased; their orders are kept anonymised."))
    return redirect("console:customer_detail", pk=pk)

