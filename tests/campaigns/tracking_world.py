"""Campaigns and recipients for the tracking, results and conversion tests.

The lead's campaign services (create, approve, start) and the sender land in parallel with this
work, so recipients are built here as the sender leaves them: one row per customer and channel,
``sent`` with the time it went out (or skipped with its reason). Customers are made through the
customers services."""

from datetime import datetime

from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient, CampaignStatus, RecipientStatus
from customers.services import customer_create

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/18.1 Mobile/15E148 Safari/604.1")


def make_customer(n: int = 1, **fields):
    fields.setdefault("family_name", "山田")
    fields.setdefault("given_name", "花子")
    return customer_create(email=f"customer{n}@example.jp", **fields)


def make_campaign(name: str = "冬のセール", **fields) -> Campaign:
    fields.setdefault("status", CampaignStatus.SENDING)
    fields.setdefault("started_at", timezone.now())
    return Campaign.objects.create(name=name, **fields)


def make_recipient(campaign: Campaign, customer, *, channel: str = "email", status: str = RecipientStatus.SENT,
                   sent_at: datetime | None = None, language: str = "ja", **fields) -> CampaignRecipient:
    if status == RecipientStatus.SENT and sent_at is None:
        sent_at = timezone.now()
    return CampaignRecipient.objects.create(campaign=campaign, customer=customer, channel=channel, status=status,
                                            sent_at=sent_at, language=language,
                                            address=fields.pop("address", customer.email or ""), **fields)
