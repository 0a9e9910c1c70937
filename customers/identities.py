"""Identities: the keys one person is known by across channels (email, phone, loyalty card,
LINE user id, marketplace buyer ids, the anonymous browser id), each (kind, value) belonging to
at most one customer.

- ``identity_normalise``: the one form a value is stored and looked up in (emails in lower
  case, phones as digits from any width, card numbers as digits, ``<marketplace>:<buyer id>``).
- ``identity_add`` / ``identity_remove``: staff, the API and the sign-in hook. A value another
  customer already has is refused with ``IdentityClaimed`` (409, naming it); resolving such a
  duplicate is the merge's job, never a silent move.
- ``identities_sync_contact``: the customer's own email and phone are identities too, kept equal
  to the profile by the customers services that change them (``customers.services``).
- ``identity_find`` / ``identities_find``: who is this, one value or a whole batch at once.
"""

import re
import unicodedata
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kernel.audit import audit_record
from kernel.browser import BROWSER_ID_RE
from kernel.japan import normalize_phone, validate_phone

from .errors import IdentityClaimed, IdentityInUse
from .models import Customer, Identity, IdentityKind

# Where an identity was learnt (Identity.source). The profile's own email and phone are "profile".
SOURCE_PROFILE = "profile"
SOURCE_SIGN_IN = "sign-in"

LINE_USER_ID_RE = re.compile(r"U[0-9a-f]{32}")
MARKETPLACE_RE = re.compile(r"([a-z0-9][a-z0-9_-]{0,39}):(\S{1,150})")
LOYALTY_CARD_DIGITS = (6, 20)


def identity_normalise(*, kind: str, value: str) -> str:
    """``value`` as stored for ``kind``; ValidationError on ``kind`` or ``value`` when it is not one."""
    if kind not in IdentityKind.values:
        raise ValidationError({"kind": [_("Unknown identity kind.")]})
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if not text:
        raise ValidationError({"value": [_("Enter the value.")]})
    if kind == IdentityKind.EMAIL:
        text = text.lower()
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError({"value": [_("Enter a valid email address.")]}) from None
        return text
    if kind == IdentityKind.PHONE:
        try:
            validate_phone(text)
        except ValidationError as exc:
            raise ValidationError({"value": exc.messages}) from None
        return normalize_phone(text)
    if kind == IdentityKind.LOYALTY_CARD:
        digits = re.sub(r"[\s\-]", "", text)
        low, high = LOYALTY_CARD_DIGITS
        if not digits.isascii() or not digits.isdigit() or not low <= len(digits) <= high:
            raise ValidationError({"value": [_("A loyalty card number is %(low)d to %(high)d digits.")
                                             % {"low": low, "high": high}]})
        return digits
    if kind == IdentityKind.LINE:
        if not LINE_USER_ID_RE.fullmatch(text):
            raise ValidationError({"value": [_("A LINE user ID is U followed by 32 hexadecimal characters.")]})
        return text
    if kind == IdentityKind.MARKETPLACE:
        match = MARKETPLACE_RE.fullmatch(text)
        if not match or not match.group(1).islower():
            raise ValidationError({"value": [_("Write a marketplace buyer ID as marketplace:buyer-id, e.g. "
                                               "rakuten:abc123.")]})
        return f"{match.group(1)}:{match.group(2)}"
    # browser
    if not BROWSER_ID_RE.fullmatch(text):
        raise ValidationError({"value": [_("A browser id is 32 hexadecimal characters.")]})
    return text


def _claimed(*, kind: str, value: str, owner_id: int, field: str = "value") -> IdentityClaimed:
    label = IdentityKind(kind).label
    return IdentityClaimed(
        _("%(kind)s %(value)s already belongs to another customer (#%(id)s).")
        % {"kind": label, "value": value, "id": owner_id},
        kind=kind, value=value, customer_id=owner_id, field=field)


@transaction.atomic
def identity_add(*, customer: Customer, kind: str, value: str, source: str, acting_user=None,
                 field: str = "value") -> Identity:
    """Record that ``customer`` is also known by (``kind``, ``value``) and return the identity
    (the existing one when they already had it). IdentityClaimed when another customer has it;
    ValidationError naming ``kind`` or ``value`` when the value is not one."""
    value = identity_normalise(kind=kind, value=value)
    existing = Identity.objects.filter(kind=kind, value=value).first()
    if existing is not None:
        if existing.customer_id != customer.pk:
            raise _claimed(kind=kind, value=value, owner_id=existing.customer_id, field=field)
        return existing
    try:
        with transaction.atomic():
            identity = Identity.objects.create(customer=customer, kind=kind, value=value, source=source[:60])
    except IntegrityError:
        # the same value added for someone else at the same moment
        owner = Identity.objects.filter(kind=kind, value=value).values_list("customer_id", flat=True).first()
        if owner is None or owner == customer.pk:
            raise
        raise _claimed(kind=kind, value=value, owner_id=owner, field=field) from None
    # browsers come with every sign-in, and the profile's email and phone with the profile's own audit
    # entry: for those the identity row is the record
    if kind != IdentityKind.BROWSER and source != SOURCE_PROFILE:
        audit_record(actor=acting_user, action="identity_add", obj=customer,
                     changes={"kind": kind, "value": value, "source": source})
    return identity


# A member card the customer takes from their account (a QR the till scans): "29" and 14 digits.
MEMBER_CARD_PREFIX = "29"
MEMBER_CARD_DIGITS = 14
SOURCE_ACCOUNT = "account"


@transaction.atomic
def member_card_issue(*, customer: Customer, acting_user=None) -> Identity:
    """The customer's member card (a loyalty card identity): the one they already have, else a
    new digital card number, unique. The storefront's account page shows it as a QR code the
    till scans to attach the customer to a sale."""
    existing = Identity.objects.filter(customer=customer, kind=IdentityKind.LOYALTY_CARD).order_by("id").first()
    if existing is not None:
        return existing
    import secrets

    while True:
        number = MEMBER_CARD_PREFIX + "".join(secrets.choice("0123456789") for _ in range(MEMBER_CARD_DIGITS))
        if not Identity.objects.filter(kind=IdentityKind.LOYALTY_CARD, value=number).exists():
            return identity_add(customer=customer, kind=IdentityKind.LOYALTY_CARD, value=number,
                                source=SOURCE_ACCOUNT, acting_user=acting_user)


@transaction.atomic
def identity_remove(*, identity: Identity, acting_user=None) -> None:
    """Forget one identity. The customer's current email and phone are their profile's: change
    the profile instead (IdentityInUse)."""
    customer = identity.customer
    if (identity.kind == IdentityKind.EMAIL and (customer.email or "").lower() == identity.value) or (
            identity.kind == IdentityKind.PHONE and customer.phone_digits == identity.value):
        raise IdentityInUse(_("This is the customer's current %(kind)s: change it on the profile instead.")
                            % {"kind": IdentityKind(identity.kind).label.lower()})
    audit_record(actor=acting_user, action="identity_remove", obj=customer,
                 changes={"kind": identity.kind, "value": identity.value, "source": identity.source})
    identity.delete()


def identities_contact_errors(*, customer: Customer, kinds=("email",)) -> dict[str, list[str]]:
    """``{"email"|"phone": [message]}`` for the profile's email (or, when asked, phone) as set on
    the unsaved ``customer`` that is another customer's identity; ``{}`` when none. Read only: the
    profile services call it before saving, so nothing is stored when it answers. A phone is not
    checked by default: a household shares its landline, and the duplicate review finds two
    records with one phone (``customers.merge``)."""
    errors: dict[str, list[str]] = {}
    checks = []
    if "email" in kinds and customer.email:
        checks.append(("email", IdentityKind.EMAIL, customer.email.strip().lower()))
    if "phone" in kinds and customer.phone:
        checks.append(("phone", IdentityKind.PHONE, normalize_phone(customer.phone)))
    for field, kind, value in checks:
        owner = (Identity.objects.filter(kind=kind, value=value).exclude(customer_id=customer.pk)
                 .values_list("customer_id", flat=True).first())
        if owner is not None:
            errors[field] = [str(_claimed(kind=kind, value=value, owner_id=owner, field=field))]
    return errors


def identities_sync_contact(*, customer: Customer, acting_user=None, strict: bool = True) -> None:
    """Make the customer's email and phone identities equal to their profile: add the current
    ones, drop the profile's earlier ones (identities learnt elsewhere stay). Called by the
    customers services that create a customer or change its email or phone, inside their
    transaction. ``strict``: an email another customer holds raises ValidationError on the
    profile field naming that customer, so forms and the API (400) show it
    beside the field; otherwise it is skipped (a checkout must not fail: the duplicate review
    finds the pair)."""
    wanted = {}
    if customer.email:
        wanted[IdentityKind.EMAIL] = customer.email.strip().lower()
    if customer.phone_digits:
        wanted[IdentityKind.PHONE] = customer.phone_digits
    stale = Identity.objects.filter(customer=customer, source=SOURCE_PROFILE,
                                    kind__in=[IdentityKind.EMAIL, IdentityKind.PHONE])
    for kind, value in wanted.items():
        stale = stale.exclude(kind=kind, value=value)
    stale.delete()
    for kind, value in wanted.items():
        field = "email" if kind == IdentityKind.EMAIL else "phone"
        try:
            with transaction.atomic():
                identity_add(customer=customer, kind=kind, value=value, source=SOURCE_PROFILE,
                             acting_user=acting_user, field=field)
        except IdentityClaimed as exc:
            # a phone another record holds is shared (a household's landline), never an error:
            # the identity stays with the first record, the duplicate review shows the pair
            if strict and kind == IdentityKind.EMAIL:
                raise ValidationError({field: [str(exc)]}) from None
        except ValidationError:
            continue  # a legacy profile value the identity rules refuse: nothing to match on


def identity_find(*, kind: str, value: str) -> Customer | None:
    """The customer known by (``kind``, ``value``), or None (also for a value that is not one)."""
    try:
        value = identity_normalise(kind=kind, value=value)
    except ValidationError:
        return None
    identity = Identity.objects.select_related("customer").filter(kind=kind, value=value).first()
    return identity.customer if identity else None


def identities_find(pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """``{(kind, normalised value): customer id}`` for the pairs known, in one query per kind."""
    by_kind: dict[str, set[str]] = {}
    for kind, value in pairs:
        by_kind.setdefault(kind, set()).add(value)
    found: dict[tuple[str, str], int] = {}
    for kind, values in by_kind.items():
        for value, customer_id in Identity.objects.filter(kind=kind, value__in=values).values_list(
                "value", "customer_id"):
            found[(kind, value)] = customer_id
    return found


def customer_identities(*, customer: Customer):
    return Identity.objects.filter(customer=customer).order_by("kind", "value")
