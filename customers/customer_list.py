"""The console's customer list: filters, sorting, paging and the CSV export job.

Filters are a registry (``LIST_FILTERS``): each names its form field and how it narrows the
queryset, so another part (segments, RFM) adds its own with ``list_filter_register`` without
touching the view or the template. Every filter and sort compiles to SQL: the last order and the
amount spent are correlated subqueries over ``customer.orders`` (orders sit above this domain:
the model is reached through the reverse relation, never imported); consent is the consent
module's audience check (``customers_consenting``; latest decision per channel and purpose wins);
a saved segment is the segment compiler's ``Q`` (dynamic) or its membership rows (static); RFM
reads ``CustomerScore`` through the one-to-one join. Filters that need a permission beyond the
list's own (segments, scores) are left out of the form of a user without it.

The CSV export runs as a django-q2 job (``customer_export_run``) that writes the file in batches
and its progress on the ``CustomerExport`` row; the console polls that row. Files live outside
``MEDIA_ROOT`` (``CUSTOMER_EXPORT_DIR``), are served only to the staff member who asked, and are
deleted after ``CUSTOMER_EXPORT_RETENTION_HOURS`` (default 24) by ``customer_exports_expire``."""

import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from django import forms
from django.conf import settings
from django.db import transaction
from django.db.models import F, IntegerField, Model, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kernel.audit import audit_record
from kernel.japan import Prefecture
from kernel.models import Location

from . import segments
from .consent import consent_latest, customers_consenting
from .models import (
    CodePointOrder,
    ConsentChannel,
    Customer,
    CustomerExport,
    CustomerExportEncoding,
    CustomerExportStatus,
    RfmLabel,
    Segment,
)

PAGE_SIZE = 50
EXPORT_BATCH = 2000
CANCELLED_ORDER_STATUSES = ("cancelled",)


def _orders_model():
    return Customer._meta.get_field("orders").related_model


def last_order_subquery() -> Subquery:
    orders = _orders_model().objects.filter(customer=OuterRef("pk")).order_by("-created_at", "-id")
    return Subquery(orders.values("created_at")[:1])


def total_spent_subquery() -> Subquery:
    orders = (_orders_model().objects.filter(customer=OuterRef("pk")).exclude(status__in=CANCELLED_ORDER_STATUSES)
              .order_by().values("customer").annotate(spent=Sum("total")).values("spent"))
    return Coalesce(Subquery(orders, output_field=IntegerField()), 0)


# --- filters (a registry others extend) ------------------------------------------------------

@dataclass(frozen=True)
class ListFilter:
    """One filter of the list: ``field()`` builds its form field (not required), ``apply(queryset,
    value)`` narrows the queryset with the cleaned value (called only for a non-empty value).
    ``permission``, when set, is needed on top of viewing customers to see and use the filter."""

    name: str
    field: Callable[[], forms.Field]
    apply: Callable[[QuerySet, object], QuerySet]
    permission: str = ""


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _filter_q(qs, value):
    return qs.filter(pk__in=Customer.objects.search(value).values("pk"))


CONSENT_STATES = (("granted", pgettext_lazy("consent filter", "opted in")),
                  ("not_granted", pgettext_lazy("consent filter", "not opted in")))
LEGACY_CONSENT = {"granted": "email:granted", "not_granted": "email:not_granted"}  # links made before channels


class ConsentFilterField(forms.ChoiceField):
    """``channel:state``; the older ``granted`` / ``not_granted`` (email) still read from saved links."""

    def to_python(self, value):
        value = super().to_python(value)
        return LEGACY_CONSENT.get(value, value)


def _consent_choices():
    return [("", gettext_lazy("Any")), *[
        (label, [(f"{channel}:{state}", format_lazy(gettext_lazy("{channel}: {state}"), channel=label,
                                                    state=state_label))
                 for state, state_label in CONSENT_STATES])
        for channel, label in ConsentChannel.choices]]


def _filter_consent(qs, value):
    """Marketing consent on a channel, as the consent module answers it for an audience."""
    channel, state = value.split(":")
    if state == "granted":
        return customers_consenting(qs, channel=channel)
    # opted out or never asked: NOT IN the consenting set would be a per-row scan of a big hash on
    # PostgreSQL; the NULL-safe correlated form is one index probe per listed customer
    return qs.filter(segments.consent_not_granted_q(channel=channel, purpose="marketing"))


def _filter_last_order_from(qs, value):
    return qs.annotate(last_order_from=last_order_subquery()).filter(last_order_from__gte=_day_start(value))


def _filter_last_order_to(qs, value):
    return qs.annotate(last_order_to=last_order_subquery()).filter(
        last_order_to__lt=_day_start(value + timedelta(days=1)))


def _filter_has_orders(qs, value):
    has = qs.filter(orders__isnull=False).values("pk")
    return qs.filter(pk__in=has) if value == "yes" else qs.exclude(pk__in=has)


def _filter_segment(qs, segment):
    """The members of a saved segment in the same query: a dynamic segment's compiled rules, a
    static list's membership rows (``segments.segment_condition``)."""
    return qs.filter(segments.segment_condition(segment))


NO_SCORE = "none"


def _filter_rfm(qs, value):
    return qs.filter(score__isnull=True) if value == NO_SCORE else qs.filter(score__label=value)


SCORE_BANDS = [("", gettext_lazy("Any")), ("5-5", "5"), ("4-5", "4–5"), ("3-5", "3–5"), ("1-2", "1–2"),
               ("1-1", "1")]


def _score_band(letter: str):
    def apply(qs, value):
        low, high = (int(part) for part in value.split("-"))
        return qs.filter(**{f"score__{letter}__gte": low, f"score__{letter}__lte": high})
    return apply


def _segment_field():
    return forms.ModelChoiceField(label=gettext_lazy("Segment"), required=False,
                                  empty_label=gettext_lazy("All customers"),
                                  queryset=Segment.objects.order_by("name"))


BAND_LABELS = {"r": gettext_lazy("RFM recency (R)"), "f": gettext_lazy("RFM frequency (F)"),
               "m": gettext_lazy("RFM monetary (M)")}


def _band_field(letter: str):
    return lambda: forms.ChoiceField(label=BAND_LABELS[letter], required=False, choices=SCORE_BANDS)


LIST_FILTERS: list[ListFilter] = [
    ListFilter("q", lambda: forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100),
               _filter_q),
    ListFilter("prefecture", lambda: forms.ChoiceField(
        label=gettext_lazy("Prefecture"), required=False, choices=[("", gettext_lazy("All prefectures")),
                                                                  *Prefecture.choices]),
        lambda qs, value: qs.filter(prefecture=value)),
    ListFilter("store", lambda: forms.ModelChoiceField(
        label=gettext_lazy("Favourite store"), required=False, empty_label=gettext_lazy("All stores"),
        queryset=Location.objects.stores().order_by("code"), to_field_name="code"),
        lambda qs, value: qs.filter(favourite_location=value)),
    ListFilter("consent", lambda: ConsentFilterField(
        label=gettext_lazy("Offers consent"), required=False, choices=_consent_choices()), _filter_consent),
    ListFilter("ordered", lambda: forms.ChoiceField(
        label=gettext_lazy("Orders"), required=False,
        choices=[("", gettext_lazy("Any")), ("yes", gettext_lazy("Has ordered")),
                 ("no", gettext_lazy("Never ordered"))]), _filter_has_orders),
    ListFilter("last_order_from", lambda: forms.DateField(
        label=gettext_lazy("Last order from"), required=False, widget=forms.DateInput(attrs={"type": "date"})),
        _filter_last_order_from),
    ListFilter("last_order_to", lambda: forms.DateField(
        label=gettext_lazy("Last order to"), required=False, widget=forms.DateInput(attrs={"type": "date"})),
        _filter_last_order_to),
    ListFilter("segment", _segment_field, _filter_segment, permission="customers.view_segment"),
    ListFilter("rfm", lambda: forms.ChoiceField(
        label=gettext_lazy("RFM segment"), required=False,
        choices=[("", gettext_lazy("Any")), *RfmLabel.choices, (NO_SCORE, gettext_lazy("No score (no order)"))]),
        _filter_rfm, permission="customers.view_customerscore"),
    *[ListFilter(f"rfm_{letter}", _band_field(letter), _score_band(letter), permission="customers.view_customerscore")
      for letter in "rfm"],
]


def list_filter_register(list_filter: ListFilter) -> None:
    """Add a filter (segments, RFM): it appears in the form, the URL and the CSV export."""
    LIST_FILTERS[:] = [f for f in LIST_FILTERS if f.name != list_filter.name] + [list_filter]


SORTS = {
    # furigana in code-point (gojūon) order, as the search lists them (customers.models.CodePointOrder)
    "name": (CodePointOrder("family_name_kana").asc(), CodePointOrder("given_name_kana").asc(), "id"),
    "-name": (CodePointOrder("family_name_kana").desc(), CodePointOrder("given_name_kana").desc(), "-id"),
    "since": ("created_at", "id"),
    "-since": ("-created_at", "-id"),
    "last_order": (F("last_order_at").asc(nulls_first=True), "id"),
    "-last_order": (F("last_order_at").desc(nulls_last=True), "-id"),
    "spent": ("total_spent", "id"),
    "-spent": ("-total_spent", "-id"),
    # RFM: R, then F, then M (customers without a score, who never ordered, last when best first)
    "rfm": (F("score__r").asc(nulls_first=True), F("score__f").asc(nulls_first=True),
            F("score__m").asc(nulls_first=True), "id"),
    "-rfm": (F("score__r").desc(nulls_last=True), F("score__f").desc(nulls_last=True),
             F("score__m").desc(nulls_last=True), "-id"),
}
SORT_PERMISSIONS = {"rfm": "customers.view_customerscore"}
DEFAULT_SORT = "-since"


def sort_allowed(sort: str, user=None) -> str:
    """``sort`` when it is known and ``user`` (None: no check) may sort by it, else the default."""
    if sort not in SORTS:
        return DEFAULT_SORT
    permission = SORT_PERMISSIONS.get(sort.lstrip("-"))
    if permission and user is not None and not user.has_perm(permission):
        return DEFAULT_SORT
    return sort


class CustomerListForm(forms.Form):
    """The list's filters (from ``LIST_FILTERS``, those ``user`` may use) and its sort order."""

    sort = forms.ChoiceField(required=False, choices=[(key, key) for key in SORTS], widget=forms.HiddenInput)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.list_filters = [f for f in LIST_FILTERS
                             if not f.permission or user is None or user.has_perm(f.permission)]
        for list_filter in self.list_filters:
            self.fields[list_filter.name] = list_filter.field()
        self.order_fields([f.name for f in self.list_filters])

    def filters(self) -> dict:
        """The non-empty valid filters, JSON-ready (kept on an export job); a filter with an error
        (a segment deleted meanwhile) is left out, and named in ``errors``."""
        self.is_valid()
        values = {}
        for list_filter in self.list_filters:
            value = self.cleaned_data.get(list_filter.name)
            if value in (None, "", []):
                continue
            if isinstance(value, Model):
                value = getattr(value, self.fields[list_filter.name].to_field_name or "pk")
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            values[list_filter.name] = value
        return values


def customer_list(*, filters: dict, sort: str = DEFAULT_SORT, strict: bool = False) -> QuerySet[Customer]:
    """Customers matching ``filters`` (as ``CustomerListForm.filters`` gives them: raw values are
    cleaned again, unknown names ignored), annotated with ``last_order_at``, ``total_spent`` and
    ``email_marketing``, with their RFM ``score`` joined, in ``sort`` order. One query for a page,
    one for the count (plus one to read a chosen segment's definition). A filter that no longer
    holds (a segment deleted meanwhile) is left out of a page, but ``strict`` (an export job)
    raises ValidationError instead: a file must never hold more customers than were asked for."""
    form = CustomerListForm(data=filters)
    form.is_valid()
    if strict and form.errors:
        from django.core.exceptions import ValidationError

        raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
    qs = Customer.objects.select_related("favourite_location", "score")
    for list_filter in LIST_FILTERS:
        if list_filter.name in form.errors:
            continue
        value = form.cleaned_data.get(list_filter.name)
        if value not in (None, "", []):
            qs = list_filter.apply(qs, value)
    qs = qs.annotate(last_order_at=last_order_subquery(), total_spent=total_spent_subquery(),
                     email_marketing=consent_latest(channel=ConsentChannel.EMAIL))
    return qs.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


# --- the CSV export job --------------------------------------------------------------------------

def export_dir() -> Path:
    configured = getattr(settings, "CUSTOMER_EXPORT_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "exports" / "customers"


def export_retention() -> timedelta:
    return timedelta(hours=getattr(settings, "CUSTOMER_EXPORT_RETENTION_HOURS", 24))


# Characters people write that Shift_JIS (cp932, what Excel on Japanese Windows reads) lacks,
# and the character a Japanese reader would accept in their place. Anything else lacking is tried
# in NFKC form, then becomes "?"; every replacement is counted and shown with the finished file.
SHIFT_JIS_SUBSTITUTES = {
    "\u2212": "－", "\u301c": "～", "\u2016": "∥", "\u00a2": "￠", "\u00a3": "￡", "\u00ac": "￢",
    "\u2014": "―", "\u00a0": " ", "\U00020bb7": "吉", "\u9dd7": "鴎", "\u5653": "嘘", "\u5f45": "弥",
    "\u9830": "頬", "\u5c5b": "屏", "\u20ac": "EUR", "\u00e9": "e", "\u00e8": "e", "\u00fc": "u", "\u00f6": "o",
}


def shift_jis_text(value: str, replaced: dict) -> str:
    """``value`` with every character cp932 cannot encode replaced (``SHIFT_JIS_SUBSTITUTES``,
    then NFKC, then "?"); ``replaced`` counts them: ``{char: {"to": ..., "count": n}}``."""
    try:
        value.encode("cp932")
        return value
    except UnicodeEncodeError:
        pass
    out = []
    for char in value:
        try:
            char.encode("cp932")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        substitute = SHIFT_JIS_SUBSTITUTES.get(char)
        if substitute is None:
            folded = unicodedata.normalize("NFKC", char)
            try:
                folded.encode("cp932")
                substitute = folded
            except UnicodeEncodeError:
                substitute = "?"
        entry = replaced.setdefault(char, {"to": substitute, "count": 0})
        entry["count"] += 1
        out.append(substitute)
    return "".join(out)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A cell as text; one starting like a spreadsheet formula gets a leading apostrophe (CSV
    injection: Excel would run ``=HYPERLINK(...)`` typed into a name)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def export_header() -> list[str]:
    return [_("ID"), _("Family name"), _("Given name"), _("Family name (katakana)"), _("Given name (katakana)"),
            _("Email"), _("Phone"), _("Postal code"), _("Prefecture"), _("City"), _("Address"), _("Favourite store"),
            _("Email offers"), _("Customer since"), _("Last order"), _("Total spent (JPY)")]


def export_row(customer: Customer) -> list[str]:
    consent = {True: _("Opted in"), False: _("Opted out")}.get(customer.email_marketing, _("Not asked"))
    return [csv_cell(v) for v in (
        customer.pk, customer.family_name, customer.given_name, customer.family_name_kana, customer.given_name_kana,
        customer.email or "", customer.phone, customer.postal_code,
        customer.get_prefecture_display() if customer.prefecture else "", customer.city, customer.address,
        customer.favourite_location.name if customer.favourite_location else "", consent, customer.created_at,
        customer.last_order_at, customer.total_spent)]


@transaction.atomic
def customer_export_request(*, filters: dict, sort: str, encoding: str, acting_user) -> CustomerExport:
    """Queue a CSV export of the list as filtered; the job starts after the commit."""
    if encoding not in CustomerExportEncoding.values:
        from django.core.exceptions import ValidationError

        raise ValidationError({"encoding": [_("Choose UTF-8 or Shift_JIS.")]})
    export = CustomerExport.objects.create(requested_by=acting_user, filters={**filters, "sort": sort},
                                           encoding=encoding)
    audit_record(actor=acting_user, action="customer_list_export", obj=export,
                 changes={"filters": filters, "sort": sort, "encoding": encoding})

    def start():
        from django_q.tasks import async_task

        async_task("customers.customer_list.customer_export_run", export.pk, task_name=f"customer-export-{export.pk}",
                   sync=settings.Q_CLUSTER.get("sync", False))

    transaction.on_commit(start)
    return export


def customer_export_run(export_id: int) -> str:
    """The job: write the CSV in batches (keyset on id), the progress on the row after each batch.
    Safe to run twice: a finished export is left alone, an interrupted one starts over."""
    export = CustomerExport.objects.select_related("requested_by").get(pk=export_id)
    if export.status == CustomerExportStatus.DONE:
        return export.status
    filters = dict(export.filters)
    sort = filters.pop("sort", DEFAULT_SORT)
    from django.utils import translation

    language = getattr(export.requested_by, "language", "") or settings.LANGUAGE_CODE
    try:
        queryset = customer_list(filters=filters, sort=sort, strict=True)
    except Exception as exc:  # a filter that no longer holds: the export fails, it never widens
        messages_ = getattr(exc, "messages", None) or [str(exc)]
        CustomerExport.objects.filter(pk=export.pk).update(status=CustomerExportStatus.FAILED,
                                                           error=" ".join(messages_)[:500], finished_at=timezone.now())
        return CustomerExportStatus.FAILED
    total = queryset.count()
    CustomerExport.objects.filter(pk=export.pk).update(status=CustomerExportStatus.RUNNING, total=total, done=0)
    folder = export_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"customers-{export.pk}-{timezone.localtime():%Y%m%d-%H%M%S}.csv"
    replaced: dict = {}
    shift_jis = export.encoding == CustomerExportEncoding.SHIFT_JIS
    try:
        with translation.override(language), open(folder / name, "w", encoding=export.encoding, newline="") as out:
            writer = csv.writer(out)
            header = export_header()
            writer.writerow([shift_jis_text(h, replaced) for h in header] if shift_jis else header)
            done = 0
            # the list's order, read in slices of the sorted query (each slice one query)
            ids = list(queryset.values_list("pk", flat=True))
            for start in range(0, len(ids), EXPORT_BATCH):
                chunk = ids[start:start + EXPORT_BATCH]
                rows = {c.pk: c for c in customer_list(filters={}, sort=sort).filter(pk__in=chunk)}
                buffer = io.StringIO()
                batch_writer = csv.writer(buffer)
                for pk in chunk:
                    if pk in rows:
                        row = export_row(rows[pk])
                        batch_writer.writerow([shift_jis_text(cell, replaced) for cell in row] if shift_jis else row)
                out.write(buffer.getvalue())
                done += len(chunk)
                CustomerExport.objects.filter(pk=export.pk).update(done=done)
    except Exception as exc:
        (folder / name).unlink(missing_ok=True)
        CustomerExport.objects.filter(pk=export.pk).update(status=CustomerExportStatus.FAILED, error=str(exc)[:500],
                                                           finished_at=timezone.now())
        raise
    CustomerExport.objects.filter(pk=export.pk).update(
        status=CustomerExportStatus.DONE, file_name=name, replaced=replaced, done=total, finished_at=timezone.now())
    return CustomerExportStatus.DONE


def export_file_path(export: CustomerExport) -> Path | None:
    """The finished file of ``export`` while it is kept, else None."""
    if export.status != CustomerExportStatus.DONE or not export.file_name:
        return None
    if export.finished_at and export.finished_at < timezone.now() - export_retention():
        return None
    path = export_dir() / export.file_name
    return path if path.is_file() else None


def customer_exports_expire(*, now=None) -> int:
    """Scheduled hourly: delete export files and rows older than the retention, the customer
    list's and the segments' (both are personal data). Returns how many."""
    from . import segments

    cutoff = (now or timezone.now()) - export_retention()
    old = list(CustomerExport.objects.filter(created_at__lt=cutoff))
    for export in old:
        if export.file_name:
            (export_dir() / export.file_name).unlink(missing_ok=True)
    CustomerExport.objects.filter(pk__in=[e.pk for e in old]).delete()
    return len(old) + segments.segment_exports_expire(before=cutoff)

