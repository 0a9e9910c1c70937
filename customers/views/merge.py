"""Console pages of duplicate review and merge: the queue of possible duplicates (side by side,
merge or dismiss with htmx), the duplicate search job with its progress, and "merge with..."
from a customer's page. Every write is a ``customers.merge`` service."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from kernel.console import console_view, paginate

from .. import merge, selectors
from ..errors import MergeError
from ..models import ConsentChannel, ConsentPurpose, Customer, DuplicateCandidate, DuplicateStatus

PERMISSION = "customers.merge_customer"
QUEUE_PAGE_SIZE = 10
REASON_MAX = 300


class MergeForm(forms.Form):
    """Which record stays, and why they are one person (kept on the merge record)."""

    survivor = forms.TypedChoiceField(label=_("Keep this record"), coerce=int, widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX, required=False,
                             help_text=_("e.g. same person: confirmed by phone"))

    def __init__(self, *args, pair: tuple[Customer, Customer], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [(c.pk, f"#{c.pk}") for c in pair]


def _rows(pair: list[Customer], facts: dict[int, dict]) -> list[dict]:
    """The comparison table: one row per fact, a value per customer, ``differs`` when they do."""
    consent_keys = sorted({key for c in pair for key in facts[c.pk]["consent"]})
    channel_labels, purpose_labels = dict(ConsentChannel.choices), dict(ConsentPurpose.choices)

    def row(label, values, mono=False):
        shown = [v if v not in (None, "") else "—" for v in values]
        return {"label": label, "values": shown, "differs": len({str(v) for v in shown}) > 1, "mono": mono}

    rows = [
        row(_("Name"), [c.full_name for c in pair]),
        row(_("Furigana"), [c.full_name_kana for c in pair]),
        row(_("Email"), [c.email for c in pair]),
        row(_("Phone"), [c.phone for c in pair], mono=True),
        row(_("Postal code"), [c.postal_code for c in pair], mono=True),
        row(_("Address"), [f"{c.get_prefecture_display()}{c.city}{c.address}" for c in pair]),
        row(_("Favourite store"), [facts[c.pk]["favourite"] for c in pair]),
        row(_("Orders"), [facts[c.pk]["orders"] for c in pair]),
        row(_("Last order"), [facts[c.pk]["last_order"].strftime("%Y-%m-%d") if facts[c.pk]["last_order"] else ""
                              for c in pair]),
        row(_("Events"), [facts[c.pk]["events"] for c in pair]),
        row(_("Account"), [gettext("Online account") if c.user_id else gettext("Store only") for c in pair]),
        row(_("Identities"), [", ".join(f"{i.get_kind_display()}: {i.value}" for i in facts[c.pk]["identities"])
                              for c in pair]),
        row(_("Customer since"), [c.created_at.strftime("%Y-%m-%d") for c in pair]),
    ]
    for channel, purpose in consent_keys:
        values = []
        for c in pair:
            record = facts[c.pk]["consent"].get((channel, purpose))
            values.append("" if record is None else (
                (gettext("Opted in") if record.granted else gettext("Opted out"))
                + f" · {record.created_at:%Y-%m-%d} · {record.source}"))
        label = f"{channel_labels.get(channel, channel)} · {purpose_labels.get(purpose, purpose)}"
        rows.append(row(label, values))
    return rows


def _items(candidates: list[DuplicateCandidate]) -> list[dict]:
    customers = [c for cand in candidates for c in (cand.customer_low, cand.customer_high)]
    facts = merge.customers_compared(customers)
    items = []
    for cand in candidates:
        pair = [cand.customer_low, cand.customer_high]
        items.append(_item(cand, pair, facts))
    return items


def _item(cand, pair, facts, form=None, error: str = "") -> dict:
    # the record to keep by default: the one with an account, else more orders, else the older one
    default = max(pair, key=lambda c: (bool(c.user_id), facts[c.pk]["orders"], -c.pk))
    form = form or MergeForm(pair=pair, initial={"survivor": default.pk}, prefix=f"d{cand.pk}")
    return {"candidate": cand, "pair": pair, "rows": _rows(pair, facts), "form": form, "error": error,
            "reasons": [merge.DuplicateReason(r).label for r in cand.reasons if r in merge.DuplicateReason.values]}


@console_view(PERMISSION)
def duplicates(request):
    page = paginate(request, merge.duplicates_open(), per_page=QUEUE_PAGE_SIZE)
    context = {"page": page, "items": _items(list(page.object_list)), "scan": merge.scan_latest(),
               "title": _("Possible duplicates")}
    return render(request, "customers/console/merge_queue.html", context)


@console_view(PERMISSION)
def duplicates_scan_status(request):
    """The job's progress (htmx polls it while the search runs)."""
    return render(request, "customers/console/merge_queue.html#scan", {"scan": merge.scan_latest()})


@require_POST
@console_view(PERMISSION)
def duplicates_scan(request):
    merge.duplicates_scan_request(acting_user=request.user)
    if request.htmx:
        return render(request, "customers/console/merge_queue.html#scan", {"scan": merge.scan_latest()})
    messages.success(request, gettext("The search for duplicates has started."))
    return redirect("console:duplicates")


def _candidate(pk: int) -> DuplicateCandidate:
    return get_object_or_404(DuplicateCandidate.objects.select_related("customer_low__favourite_location", "customer_high__favourite_location"), pk=pk)


def _done(request, cand: DuplicateCandidate, message: str):
    if request.htmx:
        return render(request, "customers/console/merge_queue.html#done", {"candidate": cand, "message": message})
    messages.success(request, message)
    return redirect("console:duplicates")


@require_POST
@console_view(PERMISSION)
def duplicate_dismiss(request, pk: int):
    cand = _candidate(pk)
    try:
        merge.duplicate_dismiss(candidate=cand, acting_user=request.user)
    except MergeError as exc:
        return _done(request, cand, str(exc))
    return _done(request, cand, gettext("Kept as two different customers; this pair will not be proposed again."))


@require_POST
@console_view(PERMISSION)
def duplicate_merge(request, pk: int):
    cand = _candidate(pk)
    if cand.status != DuplicateStatus.OPEN or cand.customer_low is None or cand.customer_high is None:
        return _done(request, cand, gettext("This pair was already reviewed."))
    pair = [cand.customer_low, cand.customer_high]
    form = MergeForm(request.POST, pair=pair, prefix=f"d{cand.pk}")
    error = ""
    if form.is_valid():
        survivor = next(c for c in pair if c.pk == form.cleaned_data["survivor"])
        other = next(c for c in pair if c.pk != survivor.pk)
        try:
            record = merge.customer_merge(survivor=survivor, merged=other, acting_user=request.user,
                                          reason=form.cleaned_data["reason"])
        except MergeError as exc:
            error = str(exc)
        else:
            return _done(request, cand, gettext("Merged: customer #%(merged)s is now part of #%(survivor)s.")
                         % {"merged": record.merged_pk, "survivor": record.survivor_pk})
    facts = merge.customers_compared(pair)
    item = _item(cand, pair, facts, form=form, error=error)
    if request.htmx:
        return render(request, "customers/console/merge_queue.html#candidate", {"item": item}, status=400)
    page = paginate(request, merge.duplicates_open(), per_page=QUEUE_PAGE_SIZE)
    items = [item if i["candidate"].pk == cand.pk else i for i in _items(list(page.object_list))]
    return render(request, "customers/console/merge_queue.html",
                  {"page": page, "items": items, "scan": merge.scan_latest()}, status=400)


@console_view(PERMISSION)
def customer_merge_with(request, pk: int):
    """From a customer's page: find the other record of the same person, compare, merge."""
    customer = get_object_or_404(Customer.objects.select_related("favourite_location", "user"), pk=pk)
    query = (request.GET.get("q") or request.POST.get("q") or "").strip()
    other_id = request.GET.get("other") or request.POST.get("other")
    results = []
    if query:
        results = [c for c in selectors.customer_search(query=query, limit=21) if c.pk != customer.pk][:20]
    other = None
    if other_id and str(other_id).isdigit() and int(other_id) != customer.pk:
        other = Customer.objects.select_related("favourite_location", "user").filter(pk=int(other_id)).first()
    context = {"customer": customer, "query": query, "results": results, "other": other,
               "title": _("Merge with another record")}
    status = 200
    if other is not None:
        pair = sorted([customer, other], key=lambda c: c.pk)
        facts = merge.customers_compared(pair)
        form = MergeForm(request.POST or None, pair=pair, initial={"survivor": customer.pk})
        if request.method == "POST":
            if form.is_valid():
                survivor = next(c for c in pair if c.pk == form.cleaned_data["survivor"])
                merged = next(c for c in pair if c.pk != survivor.pk)
                try:
                    merge.customer_merge(survivor=survivor, merged=merged, acting_user=request.user,
                                         reason=form.cleaned_data["reason"])
                except (MergeError, ValidationError) as exc:
                    form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
                else:
                    messages.success(request, gettext("Customer #%(merged)s was merged into this record.")
                                     % {"merged": merged.pk})
                    if request.htmx:
                        return HttpResponseClientRedirect(reverse("console:customer_detail", args=[survivor.pk]))
                    return redirect("console:customer_detail", pk=survivor.pk)
            status = 400
        context.update(pair=pair, rows=_rows(pair, facts), form=form)
    elif request.method == "POST":
        context["error"] = gettext("Choose the other record first.")
        status = 400
    return render(request, "customers/console/merge_with.html", context, status=status)

