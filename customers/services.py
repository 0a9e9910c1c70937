"""Every write of the customers domain."""

from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kernel.audit import audit_changes, audit_record, audit_values
from kernel.events import publish
from kernel.japan import normalize_postal_code, validate_postal_code
from kernel.subjects import product_subject

from . import domain_events
from .errors import CustomerNotDeletable
from .models import ConsentChannel, ConsentRecord, Customer, CustomerEvent, EventKind
from .validators import normalize_furigana, normalize_interests, normalize_sizes


def event_record(
    *, customer: Customer, kind: str, channel=None, location=None, subject: str = "", data: dict | None = None,
    occurred_at=None,
) -> CustomerEvent:
    """Append one touchpoint to the customer's event stream."""
    return CustomerEvent.objects.create(
        customer=customer, kind=kind, channel=channel, location=location, subject=subject, data=data or {},
        occurred_at=occurred_at or timezone.now(),
    )


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


def staff_event_record(*, customer: Customer, kind: str, note: str = "", acting_user) -> CustomerEvent:
    """A staff member notes a store visit or a conversation on the customer's timeline, at
    their own location. Raise ValidationError naming the bad field."""
    note = (note or "").strip()
    location = acting_user.location if getattr(acting_user, "location_id", None) else None
    errors: dict[str, list[str]] = {}
    if kind not in STAFF_EVENT_KINDS:
        errors["kind"] = [_("Choose a store visit or a staff note.")]
    elif kind == EventKind.STORE_VISIT and (location is None or location.kind not in STORE_KINDS):
        errors["kind"] = [_("Only staff working at a store can record a store visit.")]
    if kind == EventKind.STAFF_NOTE and not note:
        errors["note"] = [_("Write the note.")]
    if len(note) > STAFF_NOTE_MAX_LENGTH:
        errors["note"] = [_("At most %(n)d characters.") % {"n": STAFF_NOTE_MAX_LENGTH}]
    if errors:
        raise ValidationError(errors)
    return event_record(customer=customer, kind=kind, location=location,
                        data={"note": note, "staff": str(acting_user), "staff_id": acting_user.pk})


@transaction.atomic
def consent_set(
    *, customer: Customer, channel: str, granted: bool, source: str, acting_user=None, event_channel=None
) -> ConsentRecord | None:
    """Record an opt-in or opt-out with its source and time; no row when nothing changes."""
    if channel not in ConsentChannel.values:
        raise ValidationError({"channel": [_("Unknown consent channel.")]})
    from .selectors import consent_state

    if consent_state(customer=customer).get(channel, False) == granted and customer.consent_records.filter(
        channel=channel
    ).exists():
        return None
    record = ConsentRecord.objects.create(customer=customer, channel=channel, granted=granted, source=source,
                                          acting_user=acting_user)
    event_record(customer=customer, kind=EventKind.CONSENT_CHANGED, channel=event_channel,
                 data={"channel": channel, "granted": granted, "source": source})
    publish(domain_events.CONSENT_CHANGED, subject=f"customer:{customer.pk}", actor=acting_user,
            payload=domain_events.ConsentChanged(customer_id=customer.pk, channel=channel, granted=granted,
                                                 source=source))
    return record


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
):
    """Create a storefront account; attach it to an existing customer record with the same
    email (a shopper known from the POS) instead of creating a duplicate."""
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
    event_record(customer=customer, kind=EventKind.SIGNED_UP, channel=channel, data={"source": source})
    publish(domain_events.CUSTOMER_SIGNED_UP, subject=f"customer:{customer.pk}", actor=user,
            payload=domain_events.CustomerSignedUp(customer_id=customer.pk, user_id=user.pk,
                                                   channel=channel.code if channel else "", source=source))
    consent_set(customer=customer, channel=ConsentChannel.EMAIL, granted=email_marketing, source=source,
                event_channel=channel)
    return user, customer


# What staff (console, API, admin) and the customer may change; the email and the account are the identity.
PROFILE_FIELDS = frozenset({"family_name", "given_name", "family_name_kana", "given_name_kana", "phone",
                            "postal_code", "prefecture", "address", "favourite_location", "preferred_size",
                            # issue 8: the preference centre's and the console's profile fields
                            "city", "birthday", "gender", "language", "preferred_channel", "sizes", "interests"})


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
            elif name == "postal_code" and value:
                validate_postal_code(value)
                value = normalize_postal_code(value)
            elif name == "sizes":
                value = normalize_sizes(value)
            elif name == "interests":
                value = normalize_interests(value)
            elif name == "city":
                value = (value or "").strip()
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
    if errors:
        customer.refresh_from_db(fields=sorted(fields))  # the caller's instance shows what is stored
        raise ValidationError(errors)
    customer.save()
    audit_record(actor=acting_user, action="customer_update_profile", obj=customer,
                 changes=audit_changes(before, customer))
    return customer


@transaction.atomic
def customer_get_or_create_for_order(
    *, email: str = "", family_name: str = "", given_name: str = "", phone: str = ""
) -> Customer | None:
    """Find the customer an order belongs to by email (identity merge on email), or create one."""
    email = (email or "").strip().lower()
    if not email:
        return None
    customer = Customer.objects.filter(email__iexact=email).first()
    if customer:
        return customer
    customer = Customer(email=email, family_name=family_name or email.split("@")[0], given_name=given_name,
                        phone=phone)
    customer.full_clean(exclude=["user"], validate_unique=False)  # the database keeps the email unique
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        # two first orders with a new email at the same moment: the other one created the customer
        existing = Customer.objects.filter(email__iexact=email).first()
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
    if errors:
        raise ValidationError(errors)
    customer.save()
    audit_record(actor=acting_user, action="customer_create", obj=customer,
                 changes=audit_values(customer, ["email", *sorted(fields)]))
    return customer


@transaction.atomic
def customer_email_change(*, customer: Customer, email: str | None, acting_user=None) -> Customer:
    """Change a customer's email address (the merge key of orders). A customer with an account
    signs in with it: the account's email changes with it, so the two stay equal. Raise
    ValidationError on ``email`` (see ``customer_email_clean``)."""
    new = customer_email_clean(email=email, customer=customer)
    old = Customer.objects.filter(pk=customer.pk).values_list("email", flat=True).get()
    if new == old:
        customer.email = old
        return customer
    customer.email = new
    customer.save()
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
