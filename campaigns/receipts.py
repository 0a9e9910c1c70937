"""Delivery receipts: what a provider reports after it accepted a message, through the signed
webhook ``POST /webhooks/receipts/<provider>/`` (campaigns.views.webhooks).

**Signature.** The provider signs each request with its shared secret
(``CAMPAIGN_WEBHOOK_SECRETS[provider]``, from ``CAMPAIGN_WEBHOOK_SECRET_<NAME>``)::

    X-Omnishop-Timestamp: 1764567600                 (Unix seconds)
    X-Omnishop-Signature: v1=<hex HMAC-SHA256 of "<timestamp>." + body>

Several ``v1=`` values, comma-separated, are accepted while a secret is rotated (and a secret
setting may be a list). A timestamp further than ``CAMPAIGN_RECEIPT_TOLERANCE_SECONDS`` (300)
from now is refused as stale, so a captured request cannot be replayed later; within that
window a replay repeats event ids already recorded, which are ignored (``DeliveryReceipt`` is
unique per provider and event id).

**Events.** ``{"events": [{"id", "type", "transport_id", "occurred_at", "detail"}]}``, ``type``
one of delivered, soft_bounce, hard_bounce, complaint, failed; ``occurred_at`` ISO 8601 with an
offset (or Unix seconds). The message is found through the delivery ledger by the transport id
the provider gave when it accepted it (``kernel.models.Delivery.transport_id``); a campaign's
delivery (``message_key`` ``campaign:<id>``) leads to its ``CampaignRecipient``:

* delivered: ``delivered_at``;
* hard_bounce: ``bounced_at`` and the address suppressed;
* soft_bounce: the error noted; the third within 30 days suppresses the address;
* complaint: the address suppressed and the customer's marketing consent on that channel
  withdrawn (source "api");
* failed: the recipient stays ``sent`` (the provider took it) with the provider's error shown.

Recording is idempotent: the same events again change nothing. The same webhook serves email
receipts from an SMTP relay (provider ``email``, transport id = the Message-ID)."""

import hashlib
import hmac
import re
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from customers.consent import consent_withdraw
from kernel.errors import DomainError
from kernel.models import Delivery

from .models import CONSENT_FOR_CHANNEL, CampaignRecipient, DeliveryReceipt, MessageChannel, SuppressionReason
from .suppression import suppression_add

SIGNATURE_VERSION = "v1"
DEFAULT_TOLERANCE_SECONDS = 300
MAX_EVENTS = 1000
SOFT_BOUNCE_LIMIT = 3
SOFT_BOUNCE_WINDOW = timedelta(days=30)
# campaign:<id>, a journey step's campaign:<id>:e<enrolment>, an A/B variant's …:ab<variant>
CAMPAIGN_KEY = re.compile(r"^campaign:(\d+)(?::e(\d+))?(?::ab\d+)?$")
PROVIDER_NAME = re.compile(r"^[a-z0-9_-]{1,40}$")


class ReceiptRefused(DomainError):
    """The webhook request is not from the provider, or too old: nothing is recorded.
    ``reason``: unknown_provider, missing_signature, bad_timestamp, stale or bad_signature."""

    code = "receipt_refused"
    http_status = 401

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason

    def payload(self) -> dict:
        return {"reason": self.reason}


class ReceiptsInvalid(DomainError):
    """The events are malformed: ``errors`` names each bad field (``events.0.type``); nothing is
    recorded."""

    code = "invalid"
    http_status = 400

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(_("The receipts have invalid fields; nothing was recorded."))

    def payload(self) -> dict:
        return {"errors": self.errors}


@dataclass(frozen=True)
class ReceiptsOutcome:
    recorded: int = 0
    duplicates: int = 0
    unmatched: int = 0  # recorded, but no message of ours has that transport id


def webhook_secrets(provider: str) -> list[str]:
    configured = getattr(settings, "CAMPAIGN_WEBHOOK_SECRETS", {}).get(provider)
    if not configured:
        return []
    return [configured] if isinstance(configured, str) else [secret for secret in configured if secret]


def receipt_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Omnishop-Signature`` value a provider sends (also how tests sign)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"{SIGNATURE_VERSION}={digest}"


def receipt_verify(*, provider: str, timestamp: str, signature: str, body: bytes,
                   now: datetime | None = None) -> None:
    """Check that ``body`` was signed by ``provider`` within the tolerance; raise ReceiptRefused."""
    secrets = webhook_secrets(provider) if PROVIDER_NAME.match(provider or "") else []
    if not secrets:
        raise ReceiptRefused(_("No webhook secret is configured for this provider."), reason="unknown_provider")
    if not timestamp or not signature:
        raise ReceiptRefused(_("The timestamp or signature header is missing."), reason="missing_signature")
    try:
        sent_at = int(timestamp.strip())
    except ValueError:
        raise ReceiptRefused(_("The timestamp is not a number of seconds."), reason="bad_timestamp") from None
    tolerance = getattr(settings, "CAMPAIGN_RECEIPT_TOLERANCE_SECONDS", DEFAULT_TOLERANCE_SECONDS)
    current = now.timestamp() if now is not None else time.time()
    if abs(current - sent_at) > tolerance:
        raise ReceiptRefused(_("The request is too old or from the future: refused as a possible replay."),
                             reason="stale")
    offered = [part.strip().removeprefix(f"{SIGNATURE_VERSION}=") for part in signature.split(",")
               if part.strip().startswith(f"{SIGNATURE_VERSION}=")]
    expected = [receipt_signature(secret=secret, timestamp=timestamp.strip(), body=body).split("=", 1)[1]
                for secret in secrets]
    matched = False
    for candidate in offered:
        for digest in expected:  # every pair compared: the time taken says nothing about which matched
            matched |= hmac.compare_digest(candidate.encode(), digest.encode())
    if not matched:
        raise ReceiptRefused(_("The signature does not match."), reason="bad_signature")


# --- events -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceiptEvent:
    id: str
    kind: str
    transport_id: str
    occurred_at: datetime
    detail: str


def _occurred_at(value) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            return None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    return None


def receipts_parse(events) -> list[ReceiptEvent]:
    """The events as given, checked; raise ReceiptsInvalid naming every bad field."""
    if not isinstance(events, list):
        raise ReceiptsInvalid({"events": [_("Expected a list of events.")]})
    if len(events) > MAX_EVENTS:
        raise ReceiptsInvalid({"events": [_("At most %(count)s events per request.") % {"count": MAX_EVENTS}]})
    errors: dict[str, list[str]] = {}
    parsed = []
    for index, event in enumerate(events):
        prefix = f"events.{index}"
        if not isinstance(event, dict):
            errors[prefix] = [_("Expected an object.")]
            continue
        event_id = event.get("id")
        if not isinstance(event_id, str | int) or isinstance(event_id, bool) or not str(event_id).strip() \
                or len(str(event_id)) > 120:
            errors[f"{prefix}.id"] = [_("Give the provider's event id (at most 120 characters).")]
        kind = event.get("type")
        if kind not in DeliveryReceipt.Kind.values:
            errors[f"{prefix}.type"] = [_("Use one of: %(kinds)s.")
                                        % {"kinds": ", ".join(DeliveryReceipt.Kind.values)}]
        transport_id = event.get("transport_id")
        if not isinstance(transport_id, str) or not transport_id.strip() or len(transport_id) > 255:
            errors[f"{prefix}.transport_id"] = [_("Give the id the provider returned for the message.")]
        occurred_at = _occurred_at(event.get("occurred_at"))
        if occurred_at is None:
            errors[f"{prefix}.occurred_at"] = [_("Give the time as ISO 8601 with its offset, or Unix seconds.")]
        detail = event.get("detail", "")
        if not isinstance(detail, str):
            errors[f"{prefix}.detail"] = [_("Expected text.")]
        if not any(key.startswith(prefix) for key in errors):
            parsed.append(ReceiptEvent(id=str(event_id).strip(), kind=kind, transport_id=transport_id.strip(),
                                       occurred_at=occurred_at, detail=detail.strip()[:300]))
    if errors:
        raise ReceiptsInvalid(errors)
    return parsed


def _recipients_by_transport_id(provider: str, transport_ids: list[str]) -> tuple[dict, dict]:
    """``({transport id: Delivery}, {delivery id: CampaignRecipient})`` in two queries."""
    deliveries = Delivery.objects.filter(transport_id__in=transport_ids)
    if provider in MessageChannel.values:  # a provider named after its channel serves only that one
        deliveries = deliveries.filter(channel=provider)
    by_transport = {delivery.transport_id: delivery for delivery in deliveries}
    condition = Q()
    wanted = {}
    for delivery in by_transport.values():
        match = CAMPAIGN_KEY.match(delivery.message_key)
        if match:
            address = Q(address__iexact=delivery.recipient) if delivery.channel == MessageChannel.EMAIL \
                else Q(address=delivery.recipient)
            occurrence = int(match[2] or 0)
            condition |= Q(campaign_id=int(match[1]), channel=delivery.channel, occurrence=occurrence) & address
            wanted[(int(match[1]), occurrence, delivery.channel, delivery.recipient.lower())] = delivery.pk
    recipients = {}
    if wanted:
        for recipient in CampaignRecipient.objects.filter(condition).select_related("customer"):
            key = (recipient.campaign_id, recipient.occurrence, recipient.channel, recipient.address.lower())
            if key in wanted:
                recipients[wanted[key]] = recipient
    return by_transport, recipients


@transaction.atomic
def receipts_record(*, provider: str, events) -> ReceiptsOutcome:
    """Record a provider's receipts and apply them (see the module docstring). Malformed events
    raise ReceiptsInvalid and nothing is recorded; an event id already recorded is a duplicate."""
    parsed = receipts_parse(events)
    if not parsed:
        return ReceiptsOutcome()
    known = set(DeliveryReceipt.objects.filter(provider=provider, event_id__in=[e.id for e in parsed])
                .values_list("event_id", flat=True))
    by_transport, recipients = _recipients_by_transport_id(
        provider, sorted({e.transport_id for e in parsed if e.id not in known}))
    recorded = duplicates = unmatched = 0
    for event in parsed:
        if event.id in known:
            duplicates += 1
            continue
        delivery = by_transport.get(event.transport_id)
        recipient = recipients.get(delivery.pk) if delivery is not None else None
        try:
            with transaction.atomic():
                DeliveryReceipt.objects.create(provider=provider, event_id=event.id, transport_id=event.transport_id,
                                               kind=event.kind, recipient=recipient, detail=event.detail,
                                               occurred_at=event.occurred_at)
        except IntegrityError:  # the same event arrived at the same moment in another request
            duplicates += 1
            continue
        known.add(event.id)
        recorded += 1
        if delivery is None:
            unmatched += 1
            continue
        _apply(provider=provider, event=event, delivery=delivery, recipient=recipient)
    return ReceiptsOutcome(recorded=recorded, duplicates=duplicates, unmatched=unmatched)


def _apply(*, provider: str, event: ReceiptEvent, delivery: Delivery, recipient: CampaignRecipient | None) -> None:
    kind = DeliveryReceipt.Kind
    channel = delivery.channel
    address = recipient.address if recipient is not None and recipient.address else delivery.recipient
    changed: list[str] = []
    if event.kind == kind.DELIVERED and recipient is not None:
        if recipient.delivered_at is None or event.occurred_at < recipient.delivered_at:
            recipient.delivered_at = event.occurred_at
            changed.append("delivered_at")
    elif event.kind == kind.HARD_BOUNCE:
        if recipient is not None and recipient.bounced_at is None:
            recipient.bounced_at = event.occurred_at
            changed.append("bounced_at")
        _suppress(channel, address, SuppressionReason.HARD_BOUNCE, provider, event)
    elif event.kind == kind.SOFT_BOUNCE and recipient is not None:
        recipient.error = _("Soft bounce: %(detail)s") % {"detail": event.detail or "—"}
        changed.append("error")
        if _soft_bounces(recipient, event.occurred_at) >= SOFT_BOUNCE_LIMIT:
            if recipient.bounced_at is None:
                recipient.bounced_at = event.occurred_at
                changed.append("bounced_at")
            _suppress(channel, address, SuppressionReason.SOFT_BOUNCES, provider, event)
    elif event.kind == kind.COMPLAINT:
        _suppress(channel, address, SuppressionReason.COMPLAINT, provider, event)
        if recipient is not None:
            _withdraw_consent(recipient, provider, event)
    elif event.kind == kind.FAILED and recipient is not None:
        # the provider took the message and failed later: it stays sent, with the reason shown
        recipient.error = _("The provider could not deliver it: %(detail)s") % {"detail": event.detail or "—"}
        changed.append("error")
    if changed and recipient is not None:
        recipient.error = recipient.error[:500]
        recipient.save(update_fields=changed)


def _soft_bounces(recipient: CampaignRecipient, occurred_at: datetime) -> int:
    """Soft bounces of this address on this channel in the 30 days up to ``occurred_at``."""
    return DeliveryReceipt.objects.filter(
        kind=DeliveryReceipt.Kind.SOFT_BOUNCE, recipient__channel=recipient.channel,
        recipient__address=recipient.address, occurred_at__gt=occurred_at - SOFT_BOUNCE_WINDOW,
        occurred_at__lte=occurred_at).count()


def _suppress(channel: str, address: str, reason: str, provider: str, event: ReceiptEvent) -> None:
    detail = f"{provider} {event.id}: {event.detail}".strip(": ")
    with suppress(ValidationError):  # an address the list cannot hold (no mobile number): the receipt stays
        suppression_add(channel=channel, address=address, reason=reason, detail=detail)


def _withdraw_consent(recipient: CampaignRecipient, provider: str, event: ReceiptEvent) -> None:
    consent_channel, purpose = CONSENT_FOR_CHANNEL[recipient.channel]
    consent_withdraw(customer=recipient.customer, channel=consent_channel, purpose=purpose, source="api",
                     source_detail=f"complaint reported by {provider} (event {event.id})")
