"""The suppression list: addresses no marketing message goes to, whatever the consent says.

An address is kept in one normalised form per channel (``suppression_address``): an email
address stripped and lower-cased (as the delivery ledger keys it), a mobile number in E.164
(``+819012345678``), a LINE user id as given. Bounces and complaints add addresses through the
delivery receipts (``campaigns.receipts``); staff add and remove them on the console page and
through the API. Every add and removal is audited. The send checks a batch at once with
``suppressed_addresses`` (one query)."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kernel.audit import audit_record
from kernel.deliveries import delivery_normalise_recipient

from .models import SENT_CHANNELS, MessageChannel, Suppression, SuppressionReason
from .providers_http import sms_address

ADDRESS_MAX = 254


def suppression_address(channel: str, address: str) -> str | None:
    """``address`` in the form the list keeps for ``channel``; None when it is no address of
    that channel (not an email address, not a mobile number)."""
    address = (address or "").strip()
    if not address or len(address) > ADDRESS_MAX:
        return None
    if channel == MessageChannel.EMAIL:
        address = delivery_normalise_recipient(address, channel)
        try:
            validate_email(address)
        except ValidationError:
            return None
        return address
    if channel == MessageChannel.SMS:
        return sms_address(address)
    if channel == MessageChannel.LINE:
        return None if any(ch.isspace() for ch in address) else address
    return None


def _checked(channel: str, address: str) -> str:
    if channel not in SENT_CHANNELS:
        raise ValidationError({"channel": _("Only email, SMS and LINE addresses can be suppressed.")})
    normalised = suppression_address(channel, address)
    if normalised is None:
        message = {
            MessageChannel.EMAIL: _("Enter a valid email address."),
            MessageChannel.SMS: _("Enter a Japanese mobile number (070, 080 or 090)."),
            MessageChannel.LINE: _("Enter a LINE user id."),
        }[channel]
        raise ValidationError({"address": message})
    return normalised


@transaction.atomic
def suppression_add(*, channel: str, address: str, reason: str = SuppressionReason.MANUAL, detail: str = "",
                    acting_user=None) -> tuple[Suppression, bool]:
    """Put ``address`` on the list for ``channel`` (staff: ``acting_user``; a receipt: None).
    Returns ``(row, created)``: an address already there keeps its first reason and is not
    audited again. Raise ValidationError naming ``channel``, ``address`` or ``reason``."""
    normalised = _checked(channel, address)
    if reason not in SuppressionReason.values:
        raise ValidationError({"reason": _("Unknown reason.")})
    existing = Suppression.objects.filter(channel=channel, address=normalised).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            row = Suppression.objects.create(channel=channel, address=normalised, reason=reason,
                                             detail=(detail or "")[:300],
                                             created_by=acting_user if _is_user(acting_user) else None)
    except IntegrityError:  # added at the same moment by another receipt
        return Suppression.objects.get(channel=channel, address=normalised), False
    audit_record(actor=acting_user, action="suppression_add", obj=row,
                 changes={"channel": channel, "address": normalised, "reason": reason, "detail": row.detail})
    return row, True


@transaction.atomic
def suppression_remove(*, suppression: Suppression, acting_user) -> None:
    """Take an address off the list: marketing messages may reach it again (consent permitting)."""
    audit_record(actor=acting_user, action="suppression_remove", obj=suppression,
                 changes={"channel": suppression.channel, "address": suppression.address,
                          "reason": suppression.reason})
    Suppression.objects.filter(pk=suppression.pk).delete()


def _is_user(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


# --- reads ------------------------------------------------------------------------------------

def is_suppressed(channel: str, address: str) -> bool:
    normalised = suppression_address(channel, address)
    return normalised is not None and Suppression.objects.filter(channel=channel, address=normalised).exists()


def suppressed_addresses(channel: str, addresses: Iterable[str]) -> set[str]:
    """Which of ``addresses`` (as given) are suppressed on ``channel``: one query for the batch."""
    forms: dict[str, list[str]] = {}
    for address in addresses:
        normalised = suppression_address(channel, address)
        if normalised is not None:
            forms.setdefault(normalised, []).append(address)
    if not forms:
        return set()
    found = Suppression.objects.filter(channel=channel, address__in=list(forms)).values_list("address", flat=True)
    return {given for normalised in found for given in forms[normalised]}


def suppressions_search(*, query: str = "", channel: str = "", reason: str = "") -> QuerySet[Suppression]:
    """The list for the console and the API: newest first, filtered by channel, reason and a
    part of the address (a phone number is matched in any writing)."""
    rows = Suppression.objects.select_related("created_by").order_by("-created_at", "-id")
    if channel:
        rows = rows.filter(channel=channel)
    if reason:
        rows = rows.filter(reason=reason)
    query = (query or "").strip()
    if query:
        condition = Q(address__icontains=query) | Q(detail__icontains=query)
        phone = sms_address(query)
        if phone:
            condition |= Q(address=phone)
        rows = rows.filter(condition)
    return rows
