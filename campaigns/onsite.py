"""On-site campaigns: the banner a signed-in customer of the audience sees on the storefront's
home and product pages (the kernel.slots named home and product).

A customer sees a campaign's on-site message when sending reached them on the on-site channel
(their recipient row is ``sent``: they were in the audience and allowed personalisation on the
online store then), the campaign has not been cancelled or ended, and they still allow
personalisation now. The first showing counts as the message opened; the button goes through the
click redirect like an email's."""

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from customers.consent import consent_allows

from .models import CampaignMessage, CampaignRecipient, CampaignStatus, MessageChannel
from .rendering import body_html, render_text


def _customer(request):
    user = request.user
    if not user.is_authenticated:
        return None
    return getattr(user, "customer", None)


def onsite_recipient(customer_id: int) -> CampaignRecipient | None:
    """The newest on-site campaign showing to this customer now (one query)."""
    now = timezone.now()
    return (CampaignRecipient.objects.filter(
        customer_id=customer_id, channel=MessageChannel.ONSITE, status="sent",
        campaign__status__in=[CampaignStatus.SENDING, CampaignStatus.FINISHED])
        .filter(Q(campaign__ends_at__isnull=True) | Q(campaign__ends_at__gt=now))
        .select_related("campaign").order_by("-sent_at", "-pk").first())


def onsite_block(request, *, slot: str, **context) -> str:
    """The storefront slot filler: the banner, or "" (no extra query for a guest)."""
    customer = _customer(request)
    if customer is None or customer.erased_at is not None:
        return ""
    recipient = onsite_recipient(customer.pk)
    if recipient is None:
        return ""
    language = translation.get_language() or settings.LANGUAGE_CODE
    messages = {m.language: m for m in CampaignMessage.objects.filter(
        campaign_id=recipient.campaign_id, channel=MessageChannel.ONSITE)}
    message = messages.get(language) or messages.get(recipient.language) or next(iter(messages.values()), None)
    if message is None or not consent_allows(customer=customer, channel="web", purpose="personalisation"):
        return ""
    from . import personalisation, sending, tracking

    def track(url: str) -> str:
        return tracking.click_url(recipient, url)

    uses_fields = "{" in message.subject + message.body or message.include_recommendations
    values = {}
    if uses_fields:
        contexts = personalisation.merge_contexts(customer_ids=[customer.pk], language=message.language,
                                                  recommendations=message.include_recommendations, limit=4)
        if customer.pk not in contexts:
            return ""
        values = sending.merge_values(recipient.campaign, contexts[customer.pk], channel=MessageChannel.ONSITE,
                                      track=track)
    if recipient.opened_at is None:  # the first showing counts as opened
        CampaignRecipient.objects.filter(pk=recipient.pk, opened_at__isnull=True).update(opened_at=timezone.now())
    cta = sending.cta_target(message)
    return render_to_string("campaigns/storefront/_onsite_banner.html", {
        "slot": slot, "campaign": recipient.campaign, "message": message,
        "headline": render_text(message.subject, values),
        "body": body_html(render_text(message.body, values), track=track),
        "cta_url": track(cta) if cta else "", "cta_label": message.cta_label,
        "recommendations": values.get("recommendations", []) if message.include_recommendations else [],
    }, request=request)
