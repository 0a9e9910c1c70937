"""Every write of the customers domain."""

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import available_timezones

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.audit import audit_changes, audit_record, audit_record_many, audit_values
from kernel.db import bulk_create_backdated
from kernel.errors import RowError, row_errors
from kernel.events import publish
from kernel.japan import fullwidth_kana, normalize_postal_code, validate_postal_code
from kernel.models import Channel, Location
from kernel.subjects import product_subject

from . import domain_events
from .errors import CustomerImportInvalid, CustomerNotDeletable
from .identities import (
    SOURCE_PROFILE,
    identities_contact_errors,
    identities_find,
    identities_sync_contact,
    identity_find,
)
from .models import (
    ConsentChannel,
    ConsentPurpose,
    ConsentRecord,
    ConsentSource,
    Customer,
    CustomerEvent,
    EventKind,
    Identity,
    IdentityKind,
    InteractionChannel,
)
from .validators import normalize_furigana, normalize_interests, normalize_sizes


def event_record(
    *, customer: Customer, kind: str, channel=None, location=None, subject: str = "", data: dict | None = None,
    occurred_at=None, interaction: str = "",
) -> CustomerEvent:
    """Append one touchpoint to the customer's event stream (``interaction``: the channel a staff
    interaction happened on, ``InteractionChannel``)."""
    return CustomerEvent.objects.create(
        customer=customer, kind=kind, channel=channel, location=location, subject=subject, data=data or {},
        occurred_at=occurred_at or timezone.now(), interaction=interaction,
    )


def events_record_many(events: list[CustomerEvent]) -> list[CustomerEvent]:
    """Append many touchpoints at once (unsaved ``CustomerEvent`` rows, each with its
    ``occurred_at``), in one INSERT: a sender's bookkeeping for a batch of messages."""
    for event in events:
        event.data = event.data or {}
        if event.occurred_at is None:
            event.occurred_at = timezone.now()
    return CustomerEvent.objects.bulk_create(events)


def product_view_record(*, customer: Customer, code: str, name: str, channel=None) -> CustomerEvent:
    """A signed-in customer looked at a product (``code``, ``name``: the catalogue is above this
    domain). The storefront calls this from a POST its product page sends once shown, never
    from the GET that renders the page."""
    return event_record(customer=customer, kind=EventKind.PRODUCT_VIEWED, channel=channel,
                        subject=product_subject(code), data={"code": code, "name": name})


# Touchpoints staff record by hand (console and API); the rest come from the system.
STAFF_EVENT_KINDS = (EventKind.STORE_VISIT, EventKind.STAFF_NOTE)
STAFF_NOTE_MAX_LENGTH = 500
STORE_KINDS = ("store", "popup")


def staff_event_record(*, customer: Customer, kind: str, interaction: str = "", note: str = "",
                       acting_user) -> CustomerEvent:
    """A staff member notes a store visit or a conversation on the customer's timeline, at
    their own location, with the channel it happened on (``InteractionChannel``: phone, chat,
    in store, social media DM; a store visit is in store, and says so when not told). Raise
    ValidationError naming the bad field."""
    note = (note or "").strip()
    if kind == EventKind.STORE_VISIT and not interaction:
        interaction = InteractionChannel.STORE
    location = acting_user.location if getattr(acting_user, "location_id", None) else None
    errors: dict[str, list[str]] = {}
    if kind not in STAFF_EVENT_KINDS:
        errors["kind"] = [_("Choose a store visit or a staff note.")]
    elif kind == EventKind.STORE_VISIT and (location is None or location.kind not in STORE_KINDS):
        errors["kind"] = [_("Only staff working at a store can record a store visit.")]
    if interaction not in InteractionChannel.values:
        errors["interaction"] = [_("Choose how it happened: phone, chat, in store or social media DM.")]
    elif kind == EventKind.STORE_VISIT and interaction != InteractionChannel.STORE:
        errors["interaction"] = [_("A store visit happens in store.")]
    if kind == EventKind.STAFF_NOTE and not note:
        errors["note"] = [_("Write the note.")]
    if len(note) > STAFF_NOTE_MAX_LENGTH:
        errors["note"] = [_("At most %(n)d characters.") % {"n": STAFF_NOTE_MAX_LENGTH}]
    if errors:
        raise ValidationError(errors)
    return event_record(customer=customer, kind=kind, location=location, interaction=interaction,
                        data=staff_event_data(note=note, staff=acting_user))


def staff_event_data(*, note: str, staff) -> dict:
    """What a store visit or a staff note keeps: the note and who wrote it (also the shape an
    import of such touchpoints gives them, see ``customer_events_import``)."""
    return {"note": note, "staff": str(staff), "staff_id": staff.pk}


def consent_set(
    *, customer: Customer, channel: str, granted: bool, source: str, acting_user=None, event_channel=None,
    purpose: str = "marketing", ip_address: str | None = None, user_agent: str = "",
) -> ConsentRecord | None:
    """Record an opt-in or opt-out; no row when nothing changes. The older call shape, kept for
    its callers: ``source`` may be a ``ConsentSource`` or a free text like "storefront-signup"
    (stored as its source, the text kept as ``source_detail``). See ``customers.consent``."""
    from .consent import consent_decide, consent_source_from_text

    kind = consent_source_from_text(source)
    return consent_decide(customer=customer, channel=channel, purpose=purpose, granted=granted, source=kind,
                          source_detail="" if source == kind else source, acting_user=acting_user,
                          ip_address=ip_address, user_agent=user_agent, event_channel=event_channel)


@transaction.atomic
def customer_sign_up(
    *,
    email: str,
    password: str,
    family_name: str,
    given_name: str = "",
    family_name_kana: str = "",
    given_name_kana: str = "",
    phone: str = "",
    email_marketing: bool = False,
    channel=None,
    source: str = "storefront-signup",
    email_double_opt_in: bool = False,
    ip_address: str | None = None,
    user_agent: str = "",
):
    """Create a storefront account; attach it to an existing customer record with the same
    email (a shopper known from the POS) instead of creating a duplicate. With
    ``email_double_opt_in`` (the storefront) ticking email marketing only asks: the customer
    confirms by the link we email them (``customers.consent.consent_opt_in_request``)."""
    User = get_user_model()
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": [_("An account with this email address already exists.")]})
    user = User(email=email, display_name=f"{family_name} {given_name}".strip())
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    customer = Customer.objects.filter(email__iexact=email, user__isnull=True).first() or Customer(email=email)
    customer.user = user
    customer.family_name = family_name
    customer.given_name = given_name
    customer.family_name_kana = family_name_kana
    customer.given_name_kana = given_name_kana
    if phone:
        customer.phone = phone
    customer.full_clean(exclude=["user"])
    customer.save()
    # a storefront sign-up never fails (nor tells anyone) over another record's identity: the duplicate review does
    identities_sync_contact(customer=customer, acting_user=user, strict=False)
    event_record(customer=customer, kind=EventKind.SIGNED_UP, channel=channel, data={"source": source})
    publish(domain_events.CUSTOMER_SIGNED_UP, subject=f"customer:{customer.pk}", actor=user,
            payload=domain_events.CustomerSignedUp(customer_id=customer.pk, user_id=user.pk,
                                                   channel=channel.code if channel else "", source=source))
    if email_marketing and email_double_opt_in:
        from .consent import consent_opt_in_request, consent_source_from_text

        consent_opt_in_request(customer=customer, source=consent_source_from_text(source), source_detail=source,
                               acting_user=user, ip_address=ip_address, user_agent=user_agent)
    else:
        consent_set(customer=customer, channel=ConsentChannel.EMAIL, granted=email_marketing, source=source,
                    event_channel=channel, acting_user=user, ip_address=ip_address, user_agent=user_agent)
    return user, customer


# What staff (console, API, admin) and the customer may change; the email and the account are the identity.
PROFILE_FIELDS = frozenset({"family_name", "given_name", "family_name_kana", "given_name_kana", "phone",
                            "postal_code", "prefecture", "address", "favourite_location", "preferred_size",
                            # issue 8: the preference centre's and the console's profile fields
                            "city", "birthday", "gender", "language", "preferred_channel", "sizes", "interests",
                            # issue 9: campaigns' quiet hours in the customer's own time
                            "time_zone"})


BIRTHDAY_EARLIEST = date(1900, 1, 1)


def customer_profile_errors(*, customer: Customer, fields: dict) -> dict[str, list[str]]:
    """Put ``fields`` on the (unsaved) ``customer`` as the profile rules store them (furigana in
    full-width katakana, the postal code 123-4567) and return the errors by field, ``{}`` when
    none. The profile services save nothing when there are errors; an admin form shows them."""
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        try:
            if name in ("family_name_kana", "given_name_kana"):
                value = normalize_furigana(value or "")
            elif name in ("family_name", "given_name"):
                value = fullwidth_kana(value or "").strip()
            elif name == "postal_code" and value:
                validate_postal_code(value)
                value = normalize_postal_code(value)
            elif name == "sizes":
                value = normalize_sizes(value)
            elif name == "interests":
                value = normalize_interests(value)
            elif name == "city":
                value = (value or "").strip()
            elif name == "time_zone":
                value = (value or "").strip()
                if value and value not in available_timezones():
                    raise ValidationError(_("Enter a time zone such as Asia/Tokyo."), code="time_zone")
            elif name == "birthday" and value and not (BIRTHDAY_EARLIEST <= value <= timezone.localdate()):
                raise ValidationError(_("Enter a birthday between 1900 and today."), code="birthday")
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
        setattr(customer, name, value)
    try:
        customer.full_clean(exclude=["user"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(m for m in messages if m not in errors.get(field, []))
    return errors


@transaction.atomic
def customer_update_profile(*, customer: Customer, acting_user=None, **fields) -> Customer:
    """Change a customer's profile (console, API, admin, the customer's own account): furigana
    become full-width katakana, the postal code 123-4567. Raise ValidationError naming every bad
    field; nothing is saved then."""
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise ValueError(", ".join(sorted(unknown)))
    before = audit_values(customer, fields)
    errors = customer_profile_errors(customer=customer, fields=fields)
    if "phone" in fields and "phone" not in errors:
        errors.update(identities_contact_errors(customer=customer, kinds=("phone",)))
    if errors:
        customer.refresh_from_db(fields=sorted(fields))  # the caller's instance shows what is stored
        raise ValidationError(errors)
    customer.save()
    if "phone" in fields:
        identities_sync_contact(customer=customer, acting_user=acting_user)
    audit_record(actor=acting_user, action="customer_update_profile", obj=customer,
                 changes=audit_changes(before, customer))
    return customer


@transaction.atomic
def _customer_with_email(email: str) -> Customer | None:
    return Customer.objects.filter(email__iexact=email).first() or identity_find(kind=IdentityKind.EMAIL,
                                                                                 value=email)


def customer_get_or_create_for_order(
    *, email: str = "", family_name: str = "", given_name: str = "", phone: str = ""
) -> Customer | None:
    """Find the customer an order belongs to by email, or create one. The email matches a
    customer's own address or any email identity of theirs (an address they used before, or the
    one a merged record had: ``customers.identities``, normalised the same way)."""
    email = (email or "").strip().lower()
    if not email:
        return None
    customer = _customer_with_email(email)
    if customer:
        return customer
    customer = Customer(email=email, family_name=family_name or email.split("@")[0], given_name=given_name,
                        phone=phone)
    customer.full_clean(exclude=["user"], validate_unique=False)  # the database keeps the email unique
    try:
        with transaction.atomic():
            customer.save()
            identities_sync_contact(customer=customer, strict=False)
    except IntegrityError:
        # two first orders with a new email at the same moment: the other one created the customer
        existing = _customer_with_email(email)
        if existing is None:
            raise
        return existing
    return customer


# --- staff creating, re-addressing and removing customer records (the Django admin) -------

def customer_email_clean(*, email: str | None, customer: Customer | None = None) -> str | None:
    """The email as stored (trimmed, lower case; ``None`` when empty), or ValidationError on
    ``email``: not an address, already another customer's or another account's login, or
    empty for a customer with an account (it is their login)."""
    email = (email or "").strip().lower() or None
    if email is None:
        if customer is not None and customer.user_id:
            raise ValidationError({"email": [_("This customer has an account: the email address is their login and "
                                               "cannot be empty.")]})
        return None
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [_("Enter a valid email address.")]}) from None
    others = Customer.objects.filter(email__iexact=email)
    if customer is not None and customer.pk:
        others = others.exclude(pk=customer.pk)
    if others.exists():
        raise ValidationError({"email": [_("Another customer already has this email address.")]})
    accounts = get_user_model().objects.filter(email__iexact=email)
    if customer is not None and customer.user_id:
        accounts = accounts.exclude(pk=customer.user_id)
        if accounts.exists():
            raise ValidationError({"email": [_("Another account already signs in with this email address.")]})
    return email


@transaction.atomic
def customer_create(*, email: str | None = None, acting_user=None, **fields) -> Customer:
    """Staff create a customer record (the admin): the profile fields of
    ``customer_update_profile`` with its rules, and an optional email that no other customer has.
    Raise ValidationError naming every bad field; nothing is saved then."""
    unknown = set(fields) - PROFILE_FIELDS
    if unknown:
        raise ValueError(", ".join(sorted(unknown)))
    customer = Customer()
    errors: dict[str, list[str]] = {}
    try:
        customer.email = customer_email_clean(email=email)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for field, messages in customer_profile_errors(customer=customer, fields=fields).items():
        errors.setdefault(field, []).extend(m for m in messages if m not in errors.get(field, []))
    for field, messages in identities_contact_errors(customer=customer).items():
        errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)
    customer.save()
    identities_sync_contact(customer=customer, acting_user=acting_user)
    audit_record(actor=acting_user, action="customer_create", obj=customer,
                 changes=audit_values(customer, ["email", *sorted(fields)]))
    return customer


@transaction.atomic
def customer_email_change(*, customer: Customer, email: str | None, acting_user=None) -> Customer:
    """Change a customer's email address (the merge key of orders). A customer with an account
    signs in with it: the account's email changes with it, so the two stay equal. Raise
    ValidationError on ``email`` (see ``customer_email_clean``)."""
    new = customer_email_clean(email=email, customer=customer)
    if new:
        claimed = identities_contact_errors(customer=Customer(pk=customer.pk, email=new), kinds=("email",))
        if claimed:
            raise ValidationError(claimed)
    old = Customer.objects.filter(pk=customer.pk).values_list("email", flat=True).get()
    if new == old:
        customer.email = old
        return customer
    customer.email = new
    customer.save()
    identities_sync_contact(customer=customer, acting_user=acting_user)
    changes = {"email": [old, new]}
    if customer.user_id:
        user = customer.user
        user.email = new
        user.save(update_fields=["email"])
        changes["user"] = customer.user_id
    audit_record(actor=acting_user, action="customer_email_change", obj=customer, changes=changes)
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer, acting_user=None) -> None:
    """Remove a customer record entered by mistake, with its consent ledger and timeline. A
    customer with orders (accounting records) or with an account (they signed up themselves)
    cannot go: CustomerNotDeletable. The audit keeps the id only, no personal data. (Erasing
    a customer's personal data on request is a separate privacy process.)"""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.user_id:
        raise CustomerNotDeletable(_("This customer has an account and cannot be deleted here."))
    if customer.orders.exists():
        raise CustomerNotDeletable(_("This customer has orders, which are accounting records: the customer "
                                     "cannot be deleted."))
    changes = {"consent_records": customer.consent_records.count(), "events": customer.events.count()}
    audit_record(actor=acting_user, action="customer_delete", obj=customer, changes=changes,
                 object_repr=f"#{customer.pk}")
    customer.delete()


# --- importing history from the system a retailer moves from -------------------------------
#
# A shop that moves to Omnishop brings its customers, their consent history and their past
# touchpoints. The imports below take them as the old system recorded them (their own times),
# all or nothing: every bad row is reported (CustomerImportInvalid, row + field + message) and
# nothing is written then. They publish no domain events: the signed-up and consent-changed
# events are for things happening now (a welcome journey must not greet two thousand customers
# who signed up years ago elsewhere), and imported history did not happen in Omnishop.

@dataclass(frozen=True)
class ConsentImportIn:
    """One opt-in or opt-out as the old system recorded it."""

    channel: str  # ConsentChannel
    granted: bool
    at: datetime
    source: str = ""  # where the choice was made; empty: the import's source
    purpose: str = ConsentPurpose.MARKETING


@dataclass(frozen=True)
class CustomerImportIn:
    """One customer from the old system: the profile fields of ``customer_create`` (the
    favourite store by its location code; sizes and interests as ``customer_update_profile``
    takes them), the time they became a customer and their consent ledger, oldest first."""

    family_name: str
    created_at: datetime
    email: str | None = None
    given_name: str = ""
    family_name_kana: str = ""
    given_name_kana: str = ""
    phone: str = ""
    postal_code: str = ""
    prefecture: str = ""
    address: str = ""
    favourite_location: str = ""
    preferred_size: str = ""
    city: str = ""
    birthday: date | None = None
    gender: str = ""
    language: str = ""
    preferred_channel: str = ""
    sizes: dict = dataclasses.field(default_factory=dict)
    interests: Sequence[str] = ()
    consents: Sequence[ConsentImportIn] = ()


# The profile fields a row carries (every one of ``PROFILE_FIELDS``).
IMPORT_PROFILE_FIELDS = [f.name for f in dataclasses.fields(CustomerImportIn) if f.name in PROFILE_FIELDS]
IMPORT_SOURCE_MAX_LENGTH = 80  # the old system's words, kept in the ledger's source_detail
IMPORT_BATCH = 1000


def _imported_consent_source(words: str) -> str:
    """Where an imported consent was given, as far as the old system's words say ("pos-signup" was
    given at a till); a ledger row the words do not place is an import. The words themselves are
    kept in ``source_detail`` beside the import's name."""
    from .consent import SOURCE_WORDS

    lowered = set(re.split(r"[^a-z0-9]+", (words or "").lower()))
    return next((kind for word, kind in SOURCE_WORDS if word in lowered), ConsentSource.IMPORT)


def _import_time_errors(at, *, name: str, now, not_before=None) -> dict[str, list[str]]:
    if not isinstance(at, datetime) or timezone.is_naive(at):
        return {name: [_("Give a date and time with its time zone.")]}
    if at > now:
        return {name: [_("This time is in the future.")]}
    if not_before is not None and at < not_before:
        return {name: [_("This time is before the customer was created.")]}
    return {}


def _merge(errors: dict[str, list[str]], more: dict[str, list[str]], prefix: str = "") -> None:
    for field_name, messages in more.items():
        errors.setdefault(f"{prefix}{field_name}", []).extend(str(m) for m in messages)


@transaction.atomic
def customers_import(*, rows: Sequence[CustomerImportIn], source: str, acting_user=None) -> list[Customer]:
    """Create the customers of another system with their history: each with the profile rules
    of ``customer_create`` (furigana in katakana, the postal code 123-4567, a Japanese phone
    number, an email no other customer has), their original "customer since" time, and their
    consent ledger with its original times and sources (each entry also on the timeline, like
    ``consent_set`` writes it). ``source`` names the import ("shopify-2026-11"): the consent
    entries' source where a row gives none, and the audit trail's.

    All or nothing: raise CustomerImportInvalid naming every bad row; nothing is written then.
    No domain events are published (see above) and no accounts are made: an imported customer
    signs up on the storefront with their email, which attaches the account to their record.
    Returns the customers in the order of ``rows``."""
    source = (source or "").strip()
    if not source or len(source) > IMPORT_SOURCE_MAX_LENGTH:
        raise ValidationError({"source": [_("Name the import in at most %(n)d characters.") % {
            "n": IMPORT_SOURCE_MAX_LENGTH}]})
    now = timezone.now()
    emails = [(row.email or "").strip().lower() or None for row in rows]
    taken = set(Customer.objects.annotate(lower=Lower("email")).filter(
        lower__in={email for email in emails if email}).values_list("lower", flat=True))
    locations = {loc.code: loc for loc in Location.objects.filter(
        code__in={row.favourite_location for row in rows if row.favourite_location})}
    problems: list[RowError] = []
    customers: list[Customer] = []
    consents: list[tuple[Customer, ConsentImportIn]] = []
    seen: set[str] = set()
    for index, (row, email) in enumerate(zip(rows, emails, strict=True)):
        errors: dict[str, list[str]] = {}
        if email is not None:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = [_("Enter a valid email address.")]
            else:
                if email in taken:
                    errors["email"] = [_("Another customer already has this email address.")]
                elif email in seen:
                    errors["email"] = [_("This email address is in the import twice.")]
            seen.add(email)
        _merge(errors, _import_time_errors(row.created_at, name="created_at", now=now))
        profile = {name: getattr(row, name) for name in IMPORT_PROFILE_FIELDS}
        profile["favourite_location"] = locations.get(row.favourite_location)
        if row.favourite_location and profile["favourite_location"] is None:
            errors.setdefault("favourite_location", []).append(
                _("Unknown location: %(code)s") % {"code": row.favourite_location})
        customer = Customer()
        _merge(errors, customer_profile_errors(customer=customer, fields=profile))
        customer.email = email
        customer.created_at = row.created_at
        for number, consent in enumerate(row.consents):
            prefix = f"consents.{number}."
            if consent.channel not in ConsentChannel.values:
                errors.setdefault(f"{prefix}channel", []).append(_("Unknown consent channel."))
            if consent.purpose not in ConsentPurpose.values:
                errors.setdefault(f"{prefix}purpose", []).append(_("Unknown consent purpose."))
            if not isinstance(consent.granted, bool):
                errors.setdefault(f"{prefix}granted", []).append(_("Give true or false."))
            if len(consent.source or "") > IMPORT_SOURCE_MAX_LENGTH:
                errors.setdefault(f"{prefix}source", []).append(
                    _("At most %(n)d characters.") % {"n": IMPORT_SOURCE_MAX_LENGTH})
            if "created_at" not in errors:
                _merge(errors, _import_time_errors(consent.at, name="at", now=now, not_before=row.created_at),
                       prefix)
            consents.append((customer, consent))
        problems += row_errors(index, errors)
        customers.append(customer)
    if problems:
        raise CustomerImportInvalid(problems)

    for customer in customers:
        customer.fill_search_fields()  # bulk_create skips save()
    customers = bulk_create_backdated(Customer, customers, time_field="created_at", batch_size=IMPORT_BATCH)
    _import_contact_identities(customers)
    records = bulk_create_backdated(ConsentRecord, [
        ConsentRecord(customer=customer, channel=consent.channel, purpose=consent.purpose, granted=consent.granted,
                      source=_imported_consent_source(consent.source), acting_user=acting_user,
                      source_detail=f"{source}: {consent.source}" if consent.source else source,
                      created_at=consent.at)
        for customer, consent in consents], time_field="created_at", batch_size=IMPORT_BATCH)
    CustomerEvent.objects.bulk_create([
        CustomerEvent(customer=record.customer, kind=EventKind.CONSENT_CHANGED, occurred_at=record.created_at,
                      data={"channel": record.channel, "purpose": record.purpose, "granted": record.granted,
                            "source": record.source})
        for record in records], batch_size=IMPORT_BATCH)
    audit_record_many(actor=acting_user, action="customers_import", entries=[
        (customer, {"source": source, **audit_values(customer, ["email", "created_at", *IMPORT_PROFILE_FIELDS])})
        for customer in customers])
    return customers


def _import_contact_identities(customers: list[Customer]) -> None:
    """The imported customers' email and phone as their identities, as ``identities_sync_contact``
    makes them for one customer: a value another customer (or an earlier row) already has stays
    theirs, and the duplicate review finds the pair."""
    wanted = [(customer, kind, value) for customer in customers for kind, value in (
        (IdentityKind.EMAIL, customer.email), (IdentityKind.PHONE, customer.phone_digits)) if value]
    taken: set[tuple[str, str]] = set()
    for start in range(0, len(wanted), IMPORT_BATCH):
        taken |= set(identities_find((kind, value) for _c, kind, value in wanted[start:start + IMPORT_BATCH]))
    rows = []
    for customer, kind, value in wanted:
        if (kind, value) not in taken:
            taken.add((kind, value))
            rows.append(Identity(customer=customer, kind=kind, value=value, source=SOURCE_PROFILE))
    Identity.objects.bulk_create(rows, batch_size=IMPORT_BATCH)


@dataclass(frozen=True)
class EventImportIn:
    """One past touchpoint of a customer, as ``event_record`` takes it, at its own time."""

    customer: Customer
    kind: str
    occurred_at: datetime
    channel: Channel | None = None
    location: Location | None = None
    subject: str = ""
    data: dict = dataclasses.field(default_factory=dict)


# The touchpoints an import may carry: only kinds that Omnishop itself writes, each with the
# data its writer gives it (the keys; tests/customers/test_import.py checks them against the
# writers). Not imported: sign-ups (accounts are made by the customer), consent changes (they
# come with the consent ledger, customers_import), emails (the timeline says "sent" only for
# what the delivery ledger sent), and kinds nothing in Omnishop writes yet.
IMPORT_EVENT_DATA: dict[str, frozenset[str]] = {
    EventKind.PRODUCT_VIEWED: frozenset({"code", "name"}),
    EventKind.STORE_VISIT: frozenset({"note", "staff", "staff_id"}),
    EventKind.STAFF_NOTE: frozenset({"note", "staff", "staff_id"}),
    EventKind.ORDER_PLACED: frozenset({"total", "method", "lines"}),
    EventKind.ORDER_READY: frozenset({"pickup_code"}),
    EventKind.PICKUP_COMPLETED: frozenset({"total"}),
    EventKind.ORDER_SHIPPED: frozenset({"tracking_number"}),
    EventKind.ORDER_CANCELLED: frozenset({"reason"}),
}
SUBJECT_MAX_LENGTH = CustomerEvent._meta.get_field("subject").max_length


@transaction.atomic
def customer_events_import(*, events: Sequence[EventImportIn], acting_user=None) -> list[CustomerEvent]:
    """Append past touchpoints to customers' timelines at their own times (an import of history;
    ``orders.services.orders_import`` writes its orders' events through here). Only the kinds of
    ``IMPORT_EVENT_DATA``, with the data their writers give them; a store visit happens at a
    store. All or nothing: raise CustomerImportInvalid naming every bad event; nothing is
    written then. Publishes nothing (see above)."""
    now = timezone.now()
    problems: list[RowError] = []
    for index, event in enumerate(events):
        errors: dict[str, list[str]] = {}
        keys = IMPORT_EVENT_DATA.get(event.kind)
        if keys is None:
            errors["kind"] = [_("This kind of event cannot be imported.")]
        elif not isinstance(event.data, dict) or set(event.data) != keys:
            errors["data"] = [_("Give exactly these fields: %(fields)s.") % {"fields": ", ".join(sorted(keys))}]
        if not isinstance(event.customer, Customer) or event.customer.pk is None:
            errors["customer"] = [_("Name a saved customer.")]
        if event.kind == EventKind.STORE_VISIT and (event.location is None or event.location.kind not in STORE_KINDS):
            errors["location"] = [_("A store visit happens at a store.")]
        if len(event.subject or "") > SUBJECT_MAX_LENGTH:
            errors["subject"] = [_("At most %(n)d characters.") % {"n": SUBJECT_MAX_LENGTH}]
        _merge(errors, _import_time_errors(event.occurred_at, name="occurred_at", now=now))
        problems += row_errors(index, errors)
    if problems:
        raise CustomerImportInvalid(problems)
    created = CustomerEvent.objects.bulk_create([
        CustomerEvent(customer=event.customer, kind=event.kind, occurred_at=event.occurred_at, channel=event.channel,
                      location=event.location, subject=event.subject or "", data=event.data)
        for event in events], batch_size=IMPORT_BATCH)
    per_customer: dict[int, tuple[Customer, int]] = {}
    for event in events:
        customer, count = per_customer.get(event.customer.pk, (event.customer, 0))
        per_customer[event.customer.pk] = (customer, count + 1)
    audit_record_many(actor=acting_user, action="customer_events_import",
                      entries=[(customer, {"events": count}) for customer, count in per_customer.values()])
    return created
