"""A campaign's SMS and email recipients sent through the delivery ledger and the real
providers (an HTTP gateway on loopback, Django's email backend), as the sending will do it.

The campaign and its recipients are written directly here: the campaign services and the
sending (campaigns.services, campaigns.sending) do not exist yet on this branch."""

import hashlib
import hmac
import json
import time

from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient, RecipientStatus
from campaigns.providers import EmailProvider, OutgoingMessage
from campaigns.providers_http import HttpSmsProvider, sms_address
from customers.consent import consent_grant
from customers.services import customer_create
from kernel.deliveries import deliver_once, delivery_message_id

SECRET = "whsec-test-0123456789"


def customer_with_consent(*, email: str, phone: str = ""):
    customer = customer_create(email=email, phone=phone, family_name="山田", given_name="花子")
    for channel in ("email", "sms"):
        consent_grant(customer=customer, channel=channel, purpose="marketing", source="staff")
    return customer


def recipient(campaign: Campaign, customer, channel: str) -> CampaignRecipient:
    address = sms_address(customer.phone) if channel == "sms" else customer.email
    return CampaignRecipient.objects.create(campaign=campaign, customer=customer, channel=channel, address=address,
                                            language="ja")


def send(row: CampaignRecipient, *, gateway_url: str = "") -> str:
    """Send through the ledger and the channel's provider; the transport id the ledger kept."""
    message_id = delivery_message_id(message_key=row.message_key, recipient=row.address)
    provider = (HttpSmsProvider({"url": gateway_url, "token": "t", "sender": "SHOP"}) if row.channel == "sms"
                else EmailProvider())
    outgoing = OutgoingMessage(channel=row.channel, to=row.address, text="セールのお知らせ", subject="セール",
                               message_id=message_id, reference=str(row.pk))
    with provider:
        delivery = deliver_once(message_key=row.message_key, recipient=row.address, channel=row.channel,
                                send=lambda _delivery: provider.send(outgoing))
    CampaignRecipient.objects.filter(pk=row.pk).update(status=RecipientStatus.SENT, sent_at=timezone.now(),
                                                       attempts=1)
    return delivery.transport_id


def signed(body: dict | bytes, *, secret: str = SECRET, at: float | None = None) -> tuple[bytes, dict]:
    """The body and the headers a provider sends (computed here, independently of the code under test)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = str(int(time.time() if at is None else at))
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return raw, {"HTTP_X_OMNISHOP_TIMESTAMP": timestamp, "HTTP_X_OMNISHOP_SIGNATURE": f"v1={digest}"}


def event(event_id: str, kind: str, transport_id: str, *, occurred_at: str = "2026-12-01T10:00:00+09:00",
          detail: str = "") -> dict:
    return {"id": event_id, "type": kind, "transport_id": transport_id, "occurred_at": occurred_at,
            "detail": detail}
