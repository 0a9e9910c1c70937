"""The customer's profile and address book (issue 8, "Profile, preferences and self-service").

Every write is a service here: the storefront's own account pages, the console's edit page and the
API call the same functions. A profile save checks everything first (the email, each profile
field, each address) and stores nothing when any of it is wrong; the errors name the field
(``addresses.1.postal_code`` for the second address)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kernel.audit import audit_changes, audit_record, audit_values
from kernel.japan import (
    normalize_postal_code,
    normalize_prefecture,
    validate_phone,
    validate_postal_code,
    validate_prefecture,
)

from . import services
from .errors import CustomerErased
from .models import Address, Customer

ADDRESS_FIELDS = ("label", "name", "postal_code", "prefecture", "city", "line1", "line2", "phone")
ADDRESSES_MAX = 20
UNSET = object()


def address_errors(*, address: Address, fields: dict) -> dict[str, list[str]]:
    """Put ``fields`` on the unsaved ``address`` as stored (postal code 123-4567, the prefecture's
    code from its code or its name, text trimmed) and return the errors by field, ``{}`` when none."""
    errors: dict[str, list[str]] = {}
    for name, value in fields.items():
        if name not in ADDRESS_FIELDS:
            errors.setdefault(name, []).append(_("Unknown field."))
            continue
        value = "" if value is None else str(value).strip()
        try:
            if name == "postal_code":
                validate_postal_code(value)
                value = normalize_postal_code(value)
            elif name == "prefecture":
                value = normalize_prefecture(value)
                validate_prefecture(value)
            elif name == "phone" and value:
                validate_phone(value)
        except ValidationError as exc:
            errors.setdefault(name, []).extend(exc.messages)
        setattr(address, name, value)
    try:
        address.full_clean(exclude=["customer"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(m for m in messages if m not in errors.get(field, []))
    return errors


def _raise_address_errors(errors: dict[str, list[str]], prefix: str = "") -> None:
    if errors:
        raise ValidationError({f"{prefix}{field}": messages for field, messages in errors.items()})


@transaction.atomic
def address_add(*, customer: Customer, acting_user=None, is_default: bool = False, **fields) -> Address:
    """Add an address to the customer's book; the first one (or one asked to be) is the default.
    Raise ValidationError naming every bad field; nothing is saved then."""
    Customer.objects.select_for_update().filter(pk=customer.pk).first()  # one default, however many tabs
    if customer.addresses.count() >= ADDRESSES_MAX:
        raise ValidationError({"__all__": [_("At most %(n)d addresses.") % {"n": ADDRESSES_MAX}]})
    address = Address(customer=customer)
    _raise_address_errors(address_errors(address=address, fields=fields))
    if is_default or not customer.addresses.exists():
        customer.addresses.filter(is_default=True).update(is_default=False)
        address.is_default = True
    address.save()
    audit_record(actor=acting_user, action="address_add", obj=customer,
                 changes={"address": address.pk, **audit_values(address, [*fields, "is_default"])},
                 object_repr=f"#{customer.pk}")
    return address


@transaction.atomic
def address_update(*, address: Address, acting_user=None, **fields) -> Address:
    """Correct an address. Raise ValidationError naming every bad field; nothing is saved then."""
    before = audit_values(address, fields)
    errors = address_errors(address=address, fields=fields)
    if errors:
        address.refresh_from_db()
        _raise_address_errors(errors)
    address.save()
    audit_record(actor=acting_user, action="address_update", obj=address.customer,
                 changes={"address": address.pk, **audit_changes(before, address)},
                 object_repr=f"#{address.customer_id}")
    return address


@transaction.atomic
def address_set_default(*, address: Address, acting_user=None) -> Address:
    Customer.objects.select_for_update().filter(pk=address.customer_id).first()
    Address.objects.filter(customer_id=address.customer_id, is_default=True).exclude(pk=address.pk).update(
        is_default=False)
    if not address.is_default:
        address.is_default = True
        address.save(update_fields=["is_default", "updated_at"])
        audit_record(actor=acting_user, action="address_set_default", obj=address.customer,
                     changes={"address": address.pk}, object_repr=f"#{address.customer_id}")
    return address


@transaction.atomic
def address_delete(*, address: Address, acting_user=None) -> None:
    """Remove an address; when it was the default, the oldest remaining one becomes the default."""
    customer = address.customer
    Customer.objects.select_for_update().filter(pk=customer.pk).first()
    was_default, pk = address.is_default, address.pk
    address.delete()
    if was_default:
        successor = customer.addresses.order_by("id").first()
        if successor is not None:
            successor.is_default = True
            successor.save(update_fields=["is_default", "updated_at"])
    audit_record(actor=acting_user, action="address_delete", obj=customer, changes={"address": pk},
                 object_repr=f"#{customer.pk}")


def _addresses_check(addresses: list[dict]) -> tuple[list[Address], dict[str, list[str]]]:
    built, errors = [], {}
    if len(addresses) > ADDRESSES_MAX:
        errors["addresses"] = [_("At most %(n)d addresses.") % {"n": ADDRESSES_MAX}]
    defaults = [index for index, item in enumerate(addresses) if item.get("is_default")]
    if len(defaults) > 1:
        errors["addresses"] = [_("Only one address can be the default.")]
    for index, item in enumerate(addresses):
        item = dict(item)
        item.pop("id", None)
        is_default = bool(item.pop("is_default", False))
        address = Address(is_default=is_default)
        for field, messages in address_errors(address=address, fields=item).items():
            errors[f"addresses.{index}.{field}"] = messages
        built.append(address)
    if built and not defaults:
        built[0].is_default = True
    return built, errors


@transaction.atomic
def customer_profile_save(*, customer: Customer, acting_user=None, email=UNSET, addresses: list[dict] | None = None,
                          **fields) -> Customer:
    """Save what the customer or staff changed in one go: the email (also the login of an
    account), the profile fields of ``services.customer_update_profile`` and, when ``addresses``
    is given, the whole address book (it replaces the old one). Everything is checked first;
    a ValidationError names every bad field (``addresses.0.postal_code``) and nothing is saved."""
    unknown = set(fields) - services.PROFILE_FIELDS
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    if customer.erased_at:
        raise CustomerErased(_("This customer's personal data was erased."))
    errors: dict[str, list[str]] = {}
    if email is not UNSET:
        try:
            services.customer_email_clean(email=email, customer=customer)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    probe = Customer.objects.get(pk=customer.pk)  # checked on a copy: the caller's instance stays as stored
    for field, messages in services.customer_profile_errors(customer=probe, fields=fields).items():
        if field in fields or field == "__all__":
            errors.setdefault(field, []).extend(messages)
    built: list[Address] = []
    if addresses is not None:
        built, address_problems = _addresses_check(addresses)
        errors.update(address_problems)
    if errors:
        raise ValidationError(errors)
    if fields:
        services.customer_update_profile(customer=customer, acting_user=acting_user, **fields)
    if email is not UNSET:
        services.customer_email_change(customer=customer, email=email, acting_user=acting_user)
    if addresses is not None:
        addresses_replace(customer=customer, addresses=built, acting_user=acting_user)
    return customer


def addresses_replace(*, customer: Customer, addresses: list[Address], acting_user=None) -> list[Address]:
    """Replace the customer's address book with ``addresses`` (checked by ``_addresses_check``)."""
    before = [str(address) for address in customer.addresses.all()]
    customer.addresses.all().delete()
    for address in addresses:
        address.customer = customer
    Address.objects.bulk_create(addresses)
    after = [str(address) for address in addresses]
    if before != after:
        audit_record(actor=acting_user, action="customer_addresses_replace", obj=customer,
                     changes={"addresses": [len(before), len(after)]}, object_repr=f"#{customer.pk}")
    return addresses


@transaction.atomic
def customer_create_with_addresses(*, email: str | None = None, addresses: list[dict] | None = None,
                                   acting_user=None, **fields) -> Customer:
    """``services.customer_create`` and an address book in one go (the API): every error of both
    is reported together and nothing is stored when there is one."""
    built, errors = _addresses_check(addresses or [])
    try:
        with transaction.atomic():
            customer = services.customer_create(email=email, acting_user=acting_user, **fields)
            if errors:
                raise ValidationError({})
    except ValidationError as exc:
        raise ValidationError({**(exc.message_dict if hasattr(exc, "error_dict") else {}), **errors}) from None
    if built:
        addresses_replace(customer=customer, addresses=built, acting_user=acting_user)
    return customer
