"""Privacy rights of a customer (APPI, Act on the Protection of Personal Information): a copy of
everything we hold about them, and erasure.

**Export** (``customer_data_export``): one JSON document with the profile, the account, the
address book, the identities, the whole consent ledger (every grant and withdrawal, with its
source and time) and the current state per purpose, every event of the timeline, every order with
its lines and fulfilments (read through the reverse relation ``customer.orders``: orders sit above
this domain) and the cart. Both the customer (storefront, "Download my data") and staff (console,
API, for a request made by phone or at the counter) run it; each run leaves an audit entry
``customer_data_export`` naming who asked and through which channel.

**Erasure** (``customer_erase``) anonymises instead of deleting, because orders are accounting
and tax records (帳簿・請求書等の保存, 7 years) and the stock ledger points at them:

- the customer row keeps its id (orders, RFM and segment counts still add up) but loses every
  personal field; ``erased_at`` is set and the name becomes "Erased customer #<id>";
- orders keep number, dates, totals, lines, tax rates and payments; their name, email, phone and
  search text are blanked and each fulfilment's delivery address is reduced to its prefecture
  (regional sales figures), so the stock ledger and the tax figures are unchanged;
- the account is deactivated, its password made unusable, its API tokens deleted and its email
  replaced by ``erased-<id>@erased.invalid`` so the address is free to sign up again;
- the address book, the identities (email, phone, LINE id, loyalty card, browser ids) and the cart
  are deleted;
- events stay (segments and attribution count them) but their data keeps only the keys listed in
  ``EVENT_DATA_KEPT`` (product codes, totals, consent channel/purpose...): IP addresses, user
  agents, search terms, staff notes and any other free text are dropped;
- **consent ledger: kept, anonymised.** The ledger is the proof of what the person allowed and
  when (Act on Specified Electronic Mail, art. 3: records of consent are kept), and once the
  customer row is anonymised its rows (channel, purpose, yes/no, source, time) no longer identify
  anyone. Every purpose still granted gets a withdrawal row (source ``erasure``) so nothing can
  ever be sent to the record again; IP address / user agent columns, where the ledger has them,
  are blanked;
- the audit trail's entries about the customer keep who did what and when, but their recorded
  values (old names, phones) are replaced by ``{"erased": true}``; the delivery ledger's
  recipient (the email address, the phone) becomes ``erased:<id>``;
- django-axes' records of signing in with the person's email addresses: successful logins are
  deleted, failed attempts stay (they count towards locking a client address out) with the
  address typed replaced by ``erased:<id>``;
- an audit entry ``customer_erase`` (counts only, no personal data) and the domain event
  ``customers.customer_erased`` (for domains that keep copies) are written in the same transaction.
  The orders domain consumes it (``orders.privacy``, run by the events dispatch job within the
  minute): it blanks the free text it holds about the person (what they or staff typed as a
  reason for cancelling, and the contact fields of any order attached meanwhile), keeping the
  orders' tax figures.
"""

import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.audit import audit_record
from kernel.events import publish
from kernel.models import AuditEntry, Delivery

from . import domain_events
from .consent import consent_grid
from .errors import CustomerErased
from .models import ConsentRecord, Customer, CustomerEvent, CustomerMerge, EventKind, IdentityKind

EXPORT_FORMAT = "omnishop.customer-data/1"
ERASURE_SOURCE = "erasure"

# What an event's data keeps through an erasure: facts about products, money and consent, never
# free text or network details. Anything not listed (ip, user_agent, query, note, url, referrer,
# email, ...) is dropped.
EVENT_DATA_KEPT = frozenset({
    "code", "sku", "quantity", "price", "total", "currency", "lines", "category", "channel", "purpose", "granted",
    "source", "kind", "status", "method", "order", "number", "campaign", "utm_source", "utm_medium",
    "utm_campaign", "template", "count", "before_sign_in",
})
# ... and the product's name on product events (the catalogue's name, not theirs).
EVENT_PRODUCT_KINDS = (EventKind.PRODUCT_VIEWED, EventKind.CART_ADDED)
# Columns a consent ledger row may carry about the device that gave it (blanked on erasure).
CONSENT_DEVICE_FIELDS = ("ip_address", "ip", "user_agent")

PROFILE_EXPORT_FIELDS = (
    "email", "family_name", "given_name", "family_name_kana", "given_name_kana", "phone", "postal_code",
    "prefecture", "city", "address", "birthday", "gender", "language", "preferred_channel", "sizes", "interests",
    "preferred_size", "created_at",
)


def _iso(value):
    return value.isoformat() if isinstance(value, datetime) else value


def customer_data(*, customer: Customer) -> dict:
    """Everything we hold about ``customer`` as one JSON-ready dict (a fixed number of queries)."""
    customer = Customer.objects.select_related("user", "favourite_location").get(pk=customer.pk)
    profile = {name: getattr(customer, name) for name in PROFILE_EXPORT_FIELDS}
    profile["prefecture_name"] = customer.get_prefecture_display() if customer.prefecture else ""
    profile["favourite_store"] = (
        {"code": customer.favourite_location.code, "name": customer.favourite_location.name}
        if customer.favourite_location else None)
    user = customer.user
    account = None if user is None else {
        "email": user.email, "language": user.language, "active": user.is_active,
        "date_joined": user.date_joined, "last_login": user.last_login,
    }
    ledger = list(customer.consent_records.order_by("created_at", "id"))
    current: dict[str, dict[str, bool]] = {}
    for (channel, purpose), record in consent_grid(customer=customer).items():
        if record is not None:
            current.setdefault(purpose, {})[channel] = record.granted
    events = customer.events.select_related("channel", "location").order_by("occurred_at", "id")
    orders = (customer.orders.select_related("channel")
              .prefetch_related("lines", "fulfillments__location").order_by("created_at", "id"))
    try:
        cart = customer.cart
    except Exception:  # noqa: BLE001 - RelatedObjectDoesNotExist of a model above this domain
        cart = None
    return {
        "format": EXPORT_FORMAT,
        "generated_at": timezone.now(),
        "customer_id": customer.pk,
        "profile": profile,
        "account": account,
        "addresses": [
            {"label": a.label, "name": a.name, "postal_code": a.postal_code, "prefecture": a.prefecture,
             "prefecture_name": a.get_prefecture_display(), "city": a.city, "line1": a.line1, "line2": a.line2,
             "phone": a.phone, "default": a.is_default, "created_at": a.created_at}
            for a in customer.addresses.order_by("-is_default", "id")],
        "identities": [
            {"kind": i.kind, "value": i.value, "source": i.source, "created_at": i.created_at}
            for i in customer.identities.order_by("kind", "id")],
        "consent": {
            "current": current,
            "history": [
                {"channel": r.channel, "purpose": r.purpose, "granted": r.granted, "source": r.source,
                 "time": r.created_at, "by_staff": bool(r.acting_user_id and r.acting_user_id != customer.user_id)}
                for r in ledger],
        },
        "events": [
            {"kind": e.kind, "time": e.occurred_at, "channel": e.channel.code if e.channel else None,
             "location": e.location.code if e.location else None, "subject": e.subject, "data": e.data}
            for e in events],
        "orders": [
            {"number": o.number, "ordered_at": o.created_at, "status": o.status, "channel": o.channel.code,
             "name": o.name, "email": o.email, "phone": o.phone, "total": o.total, "currency": o.currency,
             "payment_method": o.payment_method, "payment_status": o.payment_status,
             "lines": [{"sku": line.sku, "product": line.product_name, "variant": line.variant_label,
                        "quantity": line.quantity, "unit_price": line.unit_price, "tax_rate": line.tax_rate,
                        "amount": line.line_total} for line in o.lines.all()],
             "fulfilments": [{"method": f.method, "location": f.location.code, "status": f.status,
                              "address": f.address} for f in o.fulfillments.all()]}
            for o in orders],
        "cart": None if cart is None else {
            "updated_at": cart.updated_at,
            "lines": [{"sku": line.sku, "quantity": line.quantity, "added_at": line.added_at}
                      for line in cart.lines.all()]},
    }


@transaction.atomic
def customer_data_export(*, customer: Customer, acting_user=None, via: str) -> bytes:
    """The customer's data as UTF-8 JSON, and an audit entry ``customer_data_export`` (who asked,
    through which channel: ``storefront``, ``console``, ``api``). Refused for an erased customer."""
    if customer.erased_at:
        raise CustomerErased(_("This customer's personal data was erased."))
    data = customer_data(customer=customer)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()
    audit_record(actor=acting_user, action="customer_data_export", obj=customer, object_repr=f"#{customer.pk}",
                 changes={"via": via, "bytes": len(body), "events": len(data["events"]),
                          "orders": len(data["orders"]), "consent_records": len(data["consent"]["history"])})
    return body


def export_file_name(customer: Customer) -> str:
    return f"my-data-{customer.pk}-{timezone.localdate():%Y%m%d}.json"


def _scrub_events(customer: Customer) -> int:
    changed = []
    for event in customer.events.only("id", "kind", "data").iterator(chunk_size=1000):
        data = event.data if isinstance(event.data, dict) else {}
        kept = {key: value for key, value in data.items()
                if key in EVENT_DATA_KEPT or (key == "name" and event.kind in EVENT_PRODUCT_KINDS)}
        if kept != event.data:
            event.data = kept
            changed.append(event)
    CustomerEvent.objects.bulk_update(changed, ["data"], batch_size=500)  # an update: the stream stays append-only
    return len(changed)


def _withdraw_all(customer: Customer, acting_user) -> int:
    rows = [ConsentRecord(customer=customer, channel=channel, purpose=purpose, granted=False, source=ERASURE_SOURCE,
                          acting_user=acting_user if getattr(acting_user, "is_authenticated", False) else None)
            for (channel, purpose), record in consent_grid(customer=customer).items() if record and record.granted]
    ConsentRecord.objects.bulk_create(rows)
    device = {name: "" for name in CONSENT_DEVICE_FIELDS
              if any(f.name == name for f in ConsentRecord._meta.get_fields())}
    if device:
        customer.consent_records.update(**device)
    return len(rows)


def _login_names(customer: Customer) -> set[str]:
    """Every address the person may have typed to sign in, as django-axes stores it (stripped and
    lower-cased: kernel.lockout.login_username): their account's, their profile's and their email
    identities'."""
    names = {customer.email or ""}
    if customer.user is not None:
        names.add(customer.user.email or "")
    names.update(customer.identities.filter(kind=IdentityKind.EMAIL).values_list("value", flat=True))
    return {name.strip().lower()[:255] for name in names if name and name.strip()}


def _scrub_login_attempts(names: set[str], pk: int) -> int:
    """django-axes' rows about signing in as the person. Successful logins (``AccessLog``: their
    own device and address) are deleted; failed attempts (``AccessAttempt``, ``AccessFailureLog``)
    may be anyone's guesses and still count towards locking the client address out, so they stay
    but lose the address typed (``erased:<id>``). Their request data never holds it: axes masks
    the username and password (``AXES_SENSITIVE_PARAMETERS``)."""
    if not names:
        return 0
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    erased = f"erased:{pk}"
    count = AccessLog.objects.filter(username__in=names).delete()[0]
    count += AccessAttempt.objects.filter(username__in=names).update(username=erased)
    count += AccessFailureLog.objects.filter(username__in=names).update(username=erased)
    return count


def _anonymise_orders(customer: Customer) -> int:
    orders = customer.orders.all()
    count = orders.update(name="", email="", phone="", phone_digits="", search_text="")
    fulfillment_model = orders.model._meta.get_field("fulfillments").related_model
    fulfilments = list(fulfillment_model.objects.filter(order__customer=customer).exclude(address={})
                       .only("id", "address"))
    for fulfilment in fulfilments:
        address = fulfilment.address if isinstance(fulfilment.address, dict) else {}
        fulfilment.address = {"prefecture": address.get("prefecture", ""), "erased": True}
    fulfillment_model.objects.bulk_update(fulfilments, ["address"], batch_size=500)
    return count


@transaction.atomic
def customer_erase(*, customer: Customer, acting_user=None, via: str, reason: str = "") -> Customer:
    """Erase the customer's personal data and keep what the law and the books need (see the
    module docstring for what happens to each kind of record). ``via``: ``storefront`` (they
    closed their account), ``console`` or ``api`` (staff, for a request). Refused (409
    ``customer_erased``) when already done."""
    customer = Customer.objects.select_for_update(of=("self",)).select_related("user").get(pk=customer.pk)
    if customer.erased_at:
        raise CustomerErased(_("This customer's personal data was already erased."))
    email, phone_digits, pk = customer.email, customer.phone_digits, customer.pk
    login_names = _login_names(customer)
    counts = {
        "orders": _anonymise_orders(customer),
        "events_scrubbed": _scrub_events(customer),
        "consent_withdrawn": _withdraw_all(customer, acting_user),
        "addresses": customer.addresses.all().delete()[0],
        "identities": customer.identities.all().delete()[0],
        "login_attempts": _scrub_login_attempts(login_names, pk),
        # a merge keeps the merged record's profile as it was (to show what it did): not any more
        "merges_scrubbed": CustomerMerge.objects.filter(Q(survivor=customer) | Q(merged_pk=pk)).update(
            merged_snapshot={"erased": True}, merged_name="", reason=""),
    }
    try:
        counts["cart"] = customer.cart.delete()[0]
    except Exception:  # noqa: BLE001 - no cart (RelatedObjectDoesNotExist of a model above this domain)
        counts["cart"] = 0
    user = customer.user
    if user is not None:
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user=user).delete()
        user.email = f"erased-{user.pk}@erased.invalid"
        user.display_name = ""
        user.is_active = False
        user.set_unusable_password()  # also ends every session (their auth hash changes)
        user.save(update_fields=["email", "display_name", "is_active", "password"])
        counts["account"] = user.pk
    blank = {"email": None, "given_name": "", "family_name_kana": "", "given_name_kana": "", "phone": "",
             "postal_code": "", "prefecture": "", "address": "", "city": "", "birthday": None, "gender": "",
             "language": "", "preferred_channel": "", "sizes": {}, "interests": [], "favourite_location": None,
             "preferred_size": "", "user": None}
    for name, value in blank.items():
        setattr(customer, name, value)
    customer.family_name = _("Erased customer #%(id)d") % {"id": pk}
    customer.erased_at = timezone.now()
    customer.save()
    AuditEntry.objects.filter(object_type=Customer._meta.label_lower, object_id=str(pk)).update(
        changes={"erased": True}, object_repr=f"#{pk}")
    recipients = sorted({value for value in (email, phone_digits, *login_names) if value})
    if recipients:
        Delivery.objects.filter(recipient__in=recipients).update(recipient=f"erased:{pk}")
    audit_record(actor=acting_user, action="customer_erase", obj=customer, object_repr=f"#{pk}",
                 changes={"via": via, "reason": reason[:200], **counts})
    publish(domain_events.CUSTOMER_ERASED, subject=f"customer:{pk}", actor=acting_user,
            payload=domain_events.CustomerErased(customer_id=pk))
    return customer

