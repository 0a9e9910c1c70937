"""Reads the campaign pages and the API share."""

from django.db.models import Count, Prefetch, Q, QuerySet

from customers.consent import customers_consenting
from customers.models import Customer

from .models import (
    CONSENT_FOR_CHANNEL,
    Campaign,
    CampaignMessage,
    CampaignRecipient,
    MessageChannel,
    RecipientStatus,
    SkipReason,
)
from .services import audience_customers


def campaigns_listed() -> QuerySet[Campaign]:
    """Campaigns with their recipients counted by status and their messages, for a list page:
    a fixed number of queries whatever the page holds."""
    return (Campaign.objects.filter(journey_step__isnull=True)  # a journey's content shows on the journey
            .select_related("created_by", "approved_by")
            .prefetch_related(Prefetch("messages", queryset=CampaignMessage.objects.only(
                "id", "campaign_id", "channel", "language")), "segments")
            .annotate(n_pending=Count("recipients", filter=Q(recipients__status=RecipientStatus.PENDING)),
                      n_sent=Count("recipients", filter=Q(recipients__status=RecipientStatus.SENT)),
                      n_skipped=Count("recipients", filter=Q(recipients__status=RecipientStatus.SKIPPED)),
                      n_failed=Count("recipients", filter=Q(recipients__status=RecipientStatus.FAILED)),
                      n_total=Count("recipients"))
            .order_by("-created_at", "-id"))


def audience_estimate(campaign: Campaign) -> dict:
    """How many customers the audience holds now, and how many of them may be reached on each of
    the campaign's channels (their consent), in one query per channel."""
    audience = audience_customers(campaign)
    channels = sorted({m.channel for m in campaign.messages.all()} & set(CONSENT_FOR_CHANNEL))
    out = {"total": audience.count(), "channels": []}
    for channel in channels:
        consent_channel, purpose = CONSENT_FOR_CHANNEL[channel]
        reachable = customers_consenting(audience.order_by(), channel=consent_channel, purpose=purpose).count()
        out["channels"].append({"channel": MessageChannel(channel).label, "reachable": reachable})
    return out


def skipped_by_reason(campaign: Campaign) -> list[tuple[str, str, int]]:
    """``(reason, label, count)`` of the skipped recipients, largest first (one query)."""
    rows = (CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.SKIPPED)
            .values("reason").annotate(n=Count("pk")).order_by("-n"))
    labels = dict(SkipReason.choices)
    return [(row["reason"], labels.get(row["reason"], row["reason"]), row["n"]) for row in rows]


def failures(campaign: Campaign, limit: int = 20) -> list[CampaignRecipient]:
    return list(CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.FAILED)
                .select_related("customer").order_by("-pk")[:limit])


def sample_customers(campaign: Campaign, limit: int = 10) -> list[Customer]:
    """Customers of the audience to preview the message as (the first few by id)."""
    return list(audience_customers(campaign).order_by("pk")[:limit])


def preview_customer(campaign: Campaign, customer_id=None) -> Customer | None:
    """The customer a preview or a test send is rendered for: the one asked for (any customer not
    erased), else the first of the audience, else the first customer there is."""
    if str(customer_id or "").isdigit():
        return Customer.objects.filter(pk=int(customer_id), erased_at__isnull=True).first()
    samples = sample_customers(campaign, limit=1)
    return samples[0] if samples else Customer.objects.filter(erased_at__isnull=True).order_by("pk").first()
