"""Consent by channel and purpose (Japan's Act on Specified Electronic Mail and the APPI).

The ledger (``ConsentRecord``) is append-only: one row for every grant and every withdrawal,
with its source (``ConsentSource``), free-text detail, time, who recorded it (``acting_user``)
and, where the decision was made online, the IP address and user agent. The latest row per
(customer, channel, purpose) is the decision; **no row means no consent** (opt-in law).

Writes (one path for the storefront, the console, the API, imports and the signed links):

* ``consent_grant`` / ``consent_withdraw`` (``consent_decide`` underneath);
* ``consent_opt_in_request`` + ``consent_opt_in_confirm``: email double opt-in, a signed,
  expiring link (``CONSENT_CONFIRMATION_HOURS``) the customer must follow before anything is granted;
* ``consent_unsubscribe``: the RFC 8058 one-click link (``consent_unsubscribe_headers`` gives the
  ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers a campaign email carries).

Reads: ``consent_allows`` ("may we contact this customer on this channel for this purpose
now?"), ``consent_decision`` / ``consent_grid`` (the decision at any time T), and the set-based
``customers_consenting`` / ``customers_with_consent`` that answer for a whole audience in ONE
SQL query (a correlated subquery on the ledger's (customer, channel, purpose, time) index),
composable with any customer queryset (segments, campaigns).

Transactional messages (an order's confirmation, "ready for pickup", a password reset, the
double opt-in confirmation itself) need no consent: their senders do not ask."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connections, models, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kernel.events import publish
from kernel.site import absolute_url
from kernel.throttling import client_address

from . import domain_events
from .errors import ConsentLinkInvalid, ConsentRequestVoid
from .models import (
    ConsentChannel,
    ConsentPurpose,
    ConsentRecord,
    ConsentRequest,
    ConsentSource,
    Customer,
    CustomerMerge,
    EventKind,
    consent_applies,
)

USER_AGENT_MAX = 300
CONFIRM_SALT = "customers.consent.confirm"
UNSUBSCRIBE_SALT = "customers.consent.unsubscribe"
# A new confirmation email for the same choice is not sent more often than this.
CONFIRMATION_RESEND_AFTER = timedelta(minutes=10)
# What staff (console, staff API) may name as the source; the storefront, the unsubscribe link
# and the confirmation are recorded by their own doors.
STAFF_SOURCES = (ConsentSource.STAFF, ConsentSource.POS, ConsentSource.IMPORT, ConsentSource.API)
STAFF_SOURCE_CHOICES = [(source.value, source.label) for source in STAFF_SOURCES]


# --- request metadata ------------------------------------------------------------------------

def consent_request_meta(request) -> dict:
    """The online provenance of a decision made through ``request``: ``ip_address`` (as far as
    the proxies in front are trusted, kernel.throttling.client_address) and ``user_agent``."""
    return {"ip_address": client_address(request) or None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX]}


# --- validation --------------------------------------------------------------------------------

def consent_validate(*, channel: str | None = None, purpose: str | None = None, source: str | None = None,
           sources=None) -> None:
    errors: dict[str, list[str]] = {}
    if channel is not None and channel not in ConsentChannel.values:
        errors["channel"] = [_("Unknown consent channel.")]
    if purpose is not None and purpose not in ConsentPurpose.values:
        errors["purpose"] = [_("Unknown consent purpose.")]
    elif channel in ConsentChannel.values and purpose is not None and not consent_applies(channel, purpose):
        errors["purpose"] = [_("The online store sends no marketing: choose a channel that reaches the customer.")]
    if source is not None:
        if not source:
            errors["source"] = [_("Say where the customer made this choice.")]
        elif source not in (sources or ConsentSource.values):
            errors["source"] = [_("Unknown consent source.")]
    if errors:
        raise ValidationError(errors)


SOURCE_WORDS = [
    ("unsubscribe", ConsentSource.UNSUBSCRIBE), ("confirmation", ConsentSource.CONFIRMATION),
    ("import", ConsentSource.IMPORT), ("csv", ConsentSource.IMPORT),
    ("pos", ConsentSource.POS), ("till", ConsentSource.POS), ("register", ConsentSource.POS),
    ("api", ConsentSource.API), ("app", ConsentSource.API),
    ("storefront", ConsentSource.STOREFRONT), ("web", ConsentSource.STOREFRONT),
    ("online", ConsentSource.STOREFRONT), ("signup", ConsentSource.STOREFRONT),
    ("checkout", ConsentSource.STOREFRONT), ("preferences", ConsentSource.STOREFRONT),
    ("account", ConsentSource.STOREFRONT), ("form", ConsentSource.STOREFRONT),
    ("console", ConsentSource.STAFF), ("admin", ConsentSource.STAFF), ("staff", ConsentSource.STAFF),
    ("phone", ConsentSource.STAFF), ("store", ConsentSource.STAFF),
]


def consent_source_from_text(text: str) -> str:
    """A free-text source of the old ledger (``"storefront-signup"``, ``"api-me"``, ``"console"``)
    as a ``ConsentSource`` (migration 0006 did the same to the stored rows)."""
    lowered = (text or "").strip().lower()
    if lowered in ConsentSource.values:
        return lowered
    words = set(re.split(r"[^a-z0-9]+", lowered))
    for word, source in SOURCE_WORDS:
        if word in words:
            return source
    return ConsentSource.STAFF


# --- reads: one customer -----------------------------------------------------------------------

def _ledger(customer_id: int, at: datetime | None) -> QuerySet[ConsentRecord]:
    rows = ConsentRecord.objects.filter(customer_id=customer_id)
    if at is not None:
        rows = rows.filter(created_at__lte=at)
    return rows


def consent_decision(*, customer: Customer, channel: str, purpose: str = ConsentPurpose.MARKETING,
                     at: datetime | None = None) -> ConsentRecord | None:
    """The ledger row in force for (channel, purpose) at ``at`` (now when None), or None when
    the customer never decided (= no consent)."""
    consent_validate(channel=channel, purpose=purpose)
    return (_ledger(customer.pk, at).filter(channel=channel, purpose=purpose)
            .order_by("-created_at", "-id").first())


def consent_allows(*, customer: Customer, channel: str, purpose: str = ConsentPurpose.MARKETING,
                   at: datetime | None = None) -> bool:
    """May we contact ``customer`` on ``channel`` for ``purpose`` (now, or at ``at``)? Only
    with an explicit opt-in in force; never asked, or opted out: no."""
    record = consent_decision(customer=customer, channel=channel, purpose=purpose, at=at)
    return bool(record and record.granted)


def consent_grid(*, customer: Customer, at: datetime | None = None) -> dict[tuple[str, str], ConsentRecord | None]:
    """The decision in force for every (channel, purpose) at ``at`` (now when None), in one
    query: ``{(channel, purpose): ConsentRecord or None}``."""
    grid: dict[tuple[str, str], ConsentRecord | None] = {
        (channel, purpose): None for channel in ConsentChannel.values for purpose in ConsentPurpose.values
        if consent_applies(channel, purpose)}
    for record in _ledger(customer.pk, at).select_related("acting_user").order_by("created_at", "id"):
        if (record.channel, record.purpose) in grid:
            grid[(record.channel, record.purpose)] = record
    return grid


def consent_history(*, customer: Customer) -> QuerySet[ConsentRecord]:
    """The customer's whole ledger, newest first, with who recorded each row."""
    return customer.consent_records.select_related("acting_user").order_by("-created_at", "-id")


def consent_pending(*, customer: Customer, grid: dict | None = None) -> list[ConsentRequest]:
    """Opt-ins waiting for the customer's confirmation (not confirmed, not expired, not made void
    by a later decision), newest first. ``grid``: the customer's ``consent_grid`` when already read."""
    since = timezone.now() - confirmation_lifetime()
    requests = list(customer.consent_requests.filter(record__isnull=True, requested_at__gte=since)
                    .order_by("-requested_at", "-id"))
    if not requests:
        return []
    grid = consent_grid(customer=customer) if grid is None else grid
    latest = {key: record.created_at for key, record in grid.items() if record}
    seen, pending = set(), []
    for request in requests:
        key = (request.channel, request.purpose)
        if key in seen or (key in latest and latest[key] >= request.requested_at):
            continue
        seen.add(key)
        pending.append(request)
    return pending


PURPOSE_HELP = {
    ConsentPurpose.MARKETING: gettext_lazy("News, offers and events"),
    ConsentPurpose.PERSONALISATION: gettext_lazy("Recommendations tailored to what you browse and buy"),
    ConsentPurpose.ANALYTICS: gettext_lazy("Measuring how our site and messages are used"),
}


# The grid's column heads on a phone: a word each (the full purpose is the cells' label for
# screen readers and the abbreviation's title).
PURPOSE_SHORT = {
    ConsentPurpose.MARKETING: pgettext_lazy("consent purpose, short", "Offers"),
    ConsentPurpose.PERSONALISATION: pgettext_lazy("consent purpose, short", "For you"),
    ConsentPurpose.ANALYTICS: pgettext_lazy("consent purpose, short", "Analytics"),
}


def _cell_key(channel: str, purpose: str) -> str:
    return f"{channel}:{purpose}"


def consent_grid_rows(*, customer: Customer) -> dict:
    """What ``customers/storefront/consent_grid.html`` and the console card show: a row per
    channel with a cell per purpose (the decision in force and whether a confirmation is
    pending). Two queries, whatever the ledger's length."""
    grid = consent_grid(customer=customer)
    pending = {(r.channel, r.purpose): r for r in consent_pending(customer=customer, grid=grid)}
    rows = []
    for channel, channel_label in ConsentChannel.choices:
        cells = []
        for purpose, purpose_label in ConsentPurpose.choices:
            if not consent_applies(channel, purpose):
                cells.append({"applies": False, "channel": channel, "purpose": purpose,
                              "purpose_label": purpose_label, "record": None, "granted": False, "known": False,
                              "pending": None})
                continue
            record = grid[(channel, purpose)]
            cells.append({"applies": True, "key": _cell_key(channel, purpose), "channel": channel, "purpose": purpose,
                          "purpose_label": purpose_label, "record": record,
                          "granted": bool(record and record.granted), "known": record is not None,
                          "pending": pending.get((channel, purpose))})
        rows.append({"channel": channel, "label": channel_label, "cells": cells})
    return {"consent_rows": rows,
            "consent_purposes": [{"value": v, "label": label, "help": PURPOSE_HELP[v], "short": PURPOSE_SHORT[v]}
                                 for v, label in ConsentPurpose.choices],
            "consent_pending": list(pending.values())}


# --- reads: a whole audience in one query ------------------------------------------------------

def consent_latest(*, channel: str, purpose: str = ConsentPurpose.MARKETING, at: datetime | None = None,
                   field: str = "granted", customer_ref: str = "pk") -> Subquery:
    """A correlated subquery: ``field`` of the ledger row in force for the outer customer
    (``OuterRef(customer_ref)``) on (channel, purpose) at ``at``; NULL when never decided."""
    consent_validate(channel=channel, purpose=purpose)
    rows = ConsentRecord.objects.filter(customer_id=OuterRef(customer_ref), channel=channel, purpose=purpose)
    if at is not None:
        rows = rows.filter(created_at__lte=at)
    return Subquery(rows.order_by("-created_at", "-id").values(field)[:1])


def customers_with_consent(customers: QuerySet[Customer] | None = None, *, channel: str,
                           purpose: str = ConsentPurpose.MARKETING, at: datetime | None = None,
                           name: str = "consent_granted") -> QuerySet[Customer]:
    """``customers`` (all when None) annotated with ``name``: True (opted in), False (opted out)
    or None (never decided) on (channel, purpose) at ``at``. One query, however many customers."""
    customers = Customer.objects.all() if customers is None else customers
    return customers.annotate(**{name: consent_latest(channel=channel, purpose=purpose, at=at)})


class _LatestGranted(Subquery):
    """``(SELECT customer_id FROM (<latest row per customer>) AS latest WHERE latest.granted)``:
    the inner query is a PostgreSQL ``DISTINCT ON (customer_id)`` read in the order of the
    ``consent_latest_by_purpose`` index (no sort, no table access)."""

    template = '(SELECT "latest"."customer_id" FROM (%(subquery)s) AS "latest" WHERE "latest"."granted")'


def consent_latest_granted_ids(*, channel: str, purpose: str = ConsentPurpose.MARKETING,
                               at: datetime | None = None) -> Subquery:
    """PostgreSQL: the ids of the customers whose decision in force on (channel, purpose) at
    ``at`` is a grant, as one subquery for ``pk__in`` (see ``customers_consenting``)."""
    consent_validate(channel=channel, purpose=purpose)
    rows = ConsentRecord.objects.filter(channel=channel, purpose=purpose)
    if at is not None:
        rows = rows.filter(created_at__lte=at)
    latest = rows.order_by("customer_id", "-created_at", "-id").distinct("customer_id").values("customer_id",
                                                                                                "granted")
    return _LatestGranted(latest, output_field=models.BigIntegerField())


def customers_consenting(customers: QuerySet[Customer] | None = None, *, channel: str,
                         purpose: str = ConsentPurpose.MARKETING, at: datetime | None = None) -> QuerySet[Customer]:
    """The customers of ``customers`` (all when None, unordered) we may contact on ``channel``
    for ``purpose`` at ``at`` (now when None): the set-based ``consent_allows``, one SQL query.
    A campaign narrows its audience with it; a segment rule filters with it.

    On PostgreSQL the latest ledger row of every customer is read once, in index order
    (``DISTINCT ON``), and semi-joined (a million customers in a few seconds); elsewhere (SQLite)
    each customer's latest row is one index probe of a correlated subquery."""
    customers = Customer.objects.order_by() if customers is None else customers
    if connections[customers.db].vendor == "postgresql":
        return customers.filter(pk__in=consent_latest_granted_ids(channel=channel, purpose=purpose, at=at))
    return customers.alias(_consent_in_force=consent_latest(channel=channel, purpose=purpose, at=at)).filter(
        _consent_in_force=True)


def consent_q(*, channel: str, purpose: str = ConsentPurpose.MARKETING, at: datetime | None = None) -> Q:
    """The same rule as a ``Q`` on ``Customer`` (for rule builders that combine Qs with AND/OR)."""
    consent_validate(channel=channel, purpose=purpose)
    rows = ConsentRecord.objects.filter(customer_id=OuterRef("pk"), channel=channel, purpose=purpose)
    if at is not None:
        rows = rows.filter(created_at__lte=at)
    latest = rows.order_by("-created_at", "-id").values("granted")[:1]
    return Q(Subquery(latest))


# --- writes ------------------------------------------------------------------------------------

@transaction.atomic
def consent_decide(*, customer: Customer, channel: str, purpose: str = ConsentPurpose.MARKETING, granted: bool,
                   source: str, source_detail: str = "", acting_user=None, ip_address: str | None = None,
                   user_agent: str = "", event_channel=None) -> ConsentRecord | None:
    """Record a grant or a withdrawal in the ledger with its provenance; None (no row) when it
    is already the decision in force. Raise ValidationError naming the bad field (channel,
    purpose, source); nothing is stored then. Publishes ``customers.consent_changed`` and puts
    the change on the customer's timeline, in this transaction."""
    consent_validate(channel=channel, purpose=purpose, source=source)
    # one decision at a time per customer: two tabs, or a click and an unsubscribe, never interleave
    Customer.objects.select_for_update().filter(pk=customer.pk).values_list("pk", flat=True).first()
    current = consent_decision(customer=customer, channel=channel, purpose=purpose)
    if current is not None and current.granted == granted:
        return None
    record = ConsentRecord.objects.create(
        customer=customer, channel=channel, purpose=purpose, granted=granted, source=source,
        source_detail=(source_detail or "")[:200], acting_user=acting_user if _is_user(acting_user) else None,
        ip_address=ip_address or None, user_agent=(user_agent or "")[:USER_AGENT_MAX])
    from .services import event_record

    event_record(customer=customer, kind=EventKind.CONSENT_CHANGED, channel=event_channel,
                 data={"channel": channel, "purpose": purpose, "granted": granted, "source": source})
    publish(domain_events.CONSENT_CHANGED, subject=f"customer:{customer.pk}",
            actor=record.acting_user,
            payload=domain_events.ConsentChanged(customer_id=customer.pk, channel=channel, granted=granted,
                                                 source=source, purpose=purpose,
                                                 source_detail=record.source_detail))
    return record


def _is_user(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def consent_grant(**kwargs) -> ConsentRecord | None:
    """Record an opt-in (see ``consent_decide``)."""
    return consent_decide(granted=True, **kwargs)


def consent_withdraw(**kwargs) -> ConsentRecord | None:
    """Record an opt-out (see ``consent_decide``); it takes effect at once."""
    return consent_decide(granted=False, **kwargs)


# --- email double opt-in -------------------------------------------------------------------------

def confirmation_lifetime() -> timedelta:
    return timedelta(hours=getattr(settings, "CONSENT_CONFIRMATION_HOURS", 72))


def unsubscribe_lifetime() -> timedelta:
    return timedelta(days=getattr(settings, "CONSENT_UNSUBSCRIBE_DAYS", 365))


def double_opt_in_applies(*, channel: str, purpose: str) -> bool:
    """Which opt-ins a customer makes themselves must be confirmed by email first: email
    marketing (advertising email, the Act on Specified Electronic Mail)."""
    return channel == ConsentChannel.EMAIL and purpose == ConsentPurpose.MARKETING


@transaction.atomic
def consent_opt_in_request(*, customer: Customer, channel: str = ConsentChannel.EMAIL,
                           purpose: str = ConsentPurpose.MARKETING, source: str = ConsentSource.STOREFRONT,
                           source_detail: str = "", acting_user=None, ip_address: str | None = None,
                           user_agent: str = "") -> ConsentRequest | None:
    """The customer asked to receive email marketing: record the pending opt-in and send them
    the confirmation email (a django-q2 task through the delivery ledger, after commit).
    Nothing is granted until they follow the link. None when they are already opted in; the
    same pending request (no second email) when one was made in the last few minutes."""
    consent_validate(channel=channel, purpose=purpose, source=source)
    if not customer.email:
        raise ValidationError({"email": [_("Add an email address first: we send the confirmation there.")]})
    if consent_allows(customer=customer, channel=channel, purpose=purpose):
        return None
    recent = (customer.consent_requests.filter(channel=channel, purpose=purpose, record__isnull=True,
                                               requested_at__gte=timezone.now() - CONFIRMATION_RESEND_AFTER)
              .order_by("-requested_at").first())
    if recent is not None and recent in consent_pending(customer=customer):
        return recent
    request = ConsentRequest.objects.create(
        customer=customer, channel=channel, purpose=purpose, source=source, source_detail=source_detail[:200],
        acting_user=acting_user if _is_user(acting_user) else None, ip_address=ip_address or None,
        user_agent=(user_agent or "")[:USER_AGENT_MAX])
    transaction.on_commit(lambda: _queue_confirmation(request.pk))
    return request


@dataclass(frozen=True)
class CustomerChoice:
    """What a customer's own choice did: a ledger row (or None: already so), or a pending opt-in
    waiting for the emailed confirmation."""

    record: ConsentRecord | None = None
    pending: ConsentRequest | None = None


def consent_customer_choose(*, customer: Customer, channel: str, purpose: str, granted: bool, source: str,
                            source_detail: str = "", acting_user=None, ip_address: str | None = None,
                            user_agent: str = "", event_channel=None) -> CustomerChoice:
    """A choice the customer makes themselves (the preference centre, their own API): an opt-in
    that needs double opt-in (``double_opt_in_applies``) becomes a confirmation request, anything
    else is recorded at once. Staff and imports record decisions with ``consent_decide``."""
    if granted and double_opt_in_applies(channel=channel, purpose=purpose):
        return CustomerChoice(pending=consent_opt_in_request(
            customer=customer, channel=channel, purpose=purpose, source=source, source_detail=source_detail,
            acting_user=acting_user, ip_address=ip_address, user_agent=user_agent))
    return CustomerChoice(record=consent_decide(
        customer=customer, channel=channel, purpose=purpose, granted=granted, source=source,
        source_detail=source_detail, acting_user=acting_user, ip_address=ip_address, user_agent=user_agent,
        event_channel=event_channel))


def _queue_confirmation(request_id: int) -> None:
    from django_q.tasks import async_task

    async_task("customers.consent_tasks.consent_confirmation_send", request_id,
               task_name=f"consent-confirmation-{request_id}", sync=settings.Q_CLUSTER.get("sync", False))


def consent_confirmation_token(request: ConsentRequest) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign_object({"r": request.pk})


def consent_confirmation_url(request: ConsentRequest) -> str:
    return absolute_url(reverse("storefront:consent_confirm", kwargs={"token": consent_confirmation_token(request)}))


def consent_confirmation_read(token: str) -> ConsentRequest:
    """The request a confirmation link is for; ConsentLinkInvalid when the link was altered,
    has expired (``CONSENT_CONFIRMATION_HOURS``) or names no request."""
    try:
        value = signing.TimestampSigner(salt=CONFIRM_SALT).unsign_object(
            token, max_age=confirmation_lifetime())
    except signing.SignatureExpired:
        raise ConsentLinkInvalid(_("This confirmation link has expired. Subscribe again to get a new one."),
                                 reason="expired") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise ConsentLinkInvalid(_("This confirmation link is not valid."), reason="invalid") from None
    request_id = value.get("r") if isinstance(value, dict) else None
    request = ConsentRequest.objects.select_related("customer", "record").filter(pk=request_id).first()
    if request is None:
        raise ConsentLinkInvalid(_("This confirmation link is not valid."), reason="invalid")
    return request


@transaction.atomic
def consent_opt_in_confirm(*, token: str, ip_address: str | None = None, user_agent: str = "") -> ConsentRecord:
    """The customer followed the confirmation link: record the grant (source "confirmation",
    the click's IP and user agent) and return it. Following it again returns the same row.
    ConsentLinkInvalid for an altered or expired link, ConsentRequestVoid when the customer
    withdrew after asking; nothing is stored then."""
    request = consent_confirmation_read(token)
    ConsentRequest.objects.select_for_update().filter(pk=request.pk).values_list("pk", flat=True).first()
    request = ConsentRequest.objects.select_related("customer", "record").get(pk=request.pk)
    if request.record_id:
        return request.record
    current = consent_decision(customer=request.customer, channel=request.channel, purpose=request.purpose)
    if current is not None and current.created_at >= request.requested_at:
        if current.granted:
            return current
        raise ConsentRequestVoid(_("You unsubscribed after asking for this. Subscribe again to get a new link."))
    detail = _("Confirmation of request #%(id)s (%(source)s)") % {
        "id": request.pk, "source": request.get_source_display()}
    record = consent_decide(customer=request.customer, channel=request.channel, purpose=request.purpose,
                            granted=True, source=ConsentSource.CONFIRMATION, source_detail=detail,
                            ip_address=ip_address, user_agent=user_agent)
    if record is not None:
        request.record = record
        request.save(update_fields=["record"])
    return record or consent_decision(customer=request.customer, channel=request.channel, purpose=request.purpose)


# --- RFC 8058 one-click unsubscribe ---------------------------------------------------------------

@dataclass(frozen=True)
class UnsubscribeTarget:
    customer: Customer
    channel: str
    purpose: str
    reference: str = ""  # what the link came with ("campaign:12"): the ledger row's source detail


UNSUBSCRIBE_REFERENCE_MAX = 60


def consent_unsubscribe_token(*, customer: Customer, channel: str = ConsentChannel.EMAIL,
                              purpose: str = ConsentPurpose.MARKETING, reference: str = "") -> str:
    """The signed token of an unsubscribe link. ``reference`` says which message carried it
    (``"campaign:12"``); the withdrawal records it as its source detail, so a campaign counts
    the unsubscribes it caused. Tokens made without one (and those made before references
    existed) stay valid."""
    consent_validate(channel=channel, purpose=purpose)
    if len(reference) > UNSUBSCRIBE_REFERENCE_MAX:
        raise ValueError(f"An unsubscribe reference has at most {UNSUBSCRIBE_REFERENCE_MAX} characters.")
    value = {"c": customer.pk, "ch": channel, "p": purpose}
    if reference:
        value["r"] = reference
    return signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).sign_object(value)


def consent_unsubscribe_url(*, customer: Customer, channel: str = ConsentChannel.EMAIL,
                            purpose: str = ConsentPurpose.MARKETING, reference: str = "", token: str = "") -> str:
    token = token or consent_unsubscribe_token(customer=customer, channel=channel, purpose=purpose,
                                               reference=reference)
    return absolute_url(reverse("storefront:consent_unsubscribe", kwargs={"token": token}))


def consent_unsubscribe_headers(*, customer: Customer, channel: str = ConsentChannel.EMAIL,
                                purpose: str = ConsentPurpose.MARKETING, reference: str = "",
                                token: str = "") -> dict[str, str]:
    """The headers a marketing message to ``customer`` carries for one-click unsubscribe (RFC
    8058, RFC 2369): ``List-Unsubscribe`` with the signed https URL (``SITE_URL`` must be https
    in production) and, when ``CONSENT_UNSUBSCRIBE_MAILTO`` is set, a mailto; and
    ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``. The mail client POSTs
    ``List-Unsubscribe=One-Click`` to the URL, with no cookie and no login; the withdrawal is
    recorded at once. (Sign the message with DKIM covering both headers, as RFC 8058 asks.)
    ``reference``: see ``consent_unsubscribe_token``; ``token``: one made already for the message's
    own link (the same customer, channel, purpose and reference), not signed again."""
    token = token or consent_unsubscribe_token(customer=customer, channel=channel, purpose=purpose,
                                               reference=reference)
    targets = [f"<{absolute_url(reverse('storefront:consent_unsubscribe', kwargs={'token': token}))}>"]
    mailto = getattr(settings, "CONSENT_UNSUBSCRIBE_MAILTO", "")
    if mailto:
        targets.append(f"<mailto:{mailto}?subject=unsubscribe%20{token}>")
    return {"List-Unsubscribe": ", ".join(targets), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def consent_unsubscribe_read(token: str) -> UnsubscribeTarget:
    """Who and what an unsubscribe link is for; ConsentLinkInvalid when altered or expired."""
    try:
        value = signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).unsign_object(token, max_age=unsubscribe_lifetime())
    except signing.SignatureExpired:
        raise ConsentLinkInvalid(_("This unsubscribe link has expired. Sign in to change your choices, or "
                                   "contact us."), reason="expired") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise ConsentLinkInvalid(_("This unsubscribe link is not valid."), reason="invalid") from None
    if not isinstance(value, dict) or value.get("ch") not in ConsentChannel.values or \
            value.get("p") not in ConsentPurpose.values or not isinstance(value.get("r", ""), str):
        raise ConsentLinkInvalid(_("This unsubscribe link is not valid."), reason="invalid")
    customer = Customer.objects.filter(pk=value.get("c")).first()
    if customer is None:
        # merged into another record since the email was sent: the link speaks for the survivor,
        # who holds the ledger now (a merge hands its survivor on when the survivor is merged too)
        merged = CustomerMerge.objects.filter(merged_pk=value.get("c")).select_related("survivor").first()
        customer = merged.survivor if merged is not None else None
    if customer is None:
        raise ConsentLinkInvalid(_("This unsubscribe link is not valid."), reason="invalid")
    return UnsubscribeTarget(customer=customer, channel=value["ch"], purpose=value["p"],
                             reference=value.get("r", "")[:UNSUBSCRIBE_REFERENCE_MAX])


def consent_unsubscribe(*, token: str, ip_address: str | None = None, user_agent: str = "") -> UnsubscribeTarget:
    """Withdraw the consent an unsubscribe link names, at once (source "unsubscribe", the link's
    reference as the source detail, the caller's IP and user agent). Safe to repeat.
    ConsentLinkInvalid: nothing stored."""
    target = consent_unsubscribe_read(token)
    consent_withdraw(customer=target.customer, channel=target.channel, purpose=target.purpose,
                     source=ConsentSource.UNSUBSCRIBE, source_detail=target.reference, ip_address=ip_address,
                     user_agent=user_agent)
    return target
