"""Short tracked links of a campaign (``/r/<code>``): what a QR code on a postcard or POP, a social
post or a message's button points at. The redirect (campaigns.tracking) adds the UTM parameters and
records the touch; ``t`` (a signed recipient id) says whose postcard was scanned."""

import secrets

from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from kernel.site import absolute_url

from .models import CAMPAIGN_CODE_ALPHABET, Campaign, TrackedLink

LINK_CODE_LENGTH = 8
RECIPIENT_SALT = "campaigns.recipient"


def _new_code() -> str:
    return "".join(secrets.choice(CAMPAIGN_CODE_ALPHABET.lower()) for _ in range(LINK_CODE_LENGTH))


def link_for(*, campaign: Campaign, channel: str, target: str, label: str = "") -> TrackedLink:
    """The campaign's short link to ``target`` on ``channel`` (made once, then reused)."""
    link = TrackedLink.objects.filter(campaign=campaign, channel=channel, target=target).first()
    if link is not None:
        return link
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return TrackedLink.objects.create(campaign=campaign, channel=channel, target=target,
                                                  label=label[:100], code=_new_code())
        except IntegrityError:
            link = TrackedLink.objects.filter(campaign=campaign, channel=channel, target=target).first()
            if link is not None:
                return link  # made by a concurrent caller
    raise RuntimeError("Could not find a free short link code.")


def recipient_token(recipient_id: int) -> str:
    """A signed, compact reference to one campaign recipient (no expiry: a postcard lives long)."""
    return signing.Signer(salt=RECIPIENT_SALT).sign(signing.b62_encode(recipient_id))


def recipient_from_token(token: str) -> int | None:
    """The recipient id a token names, or None when it was altered."""
    try:
        return signing.b62_decode(signing.Signer(salt=RECIPIENT_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def link_url(link: TrackedLink, *, recipient_id: int | None = None) -> str:
    """The absolute short URL of ``link``; with ``recipient_id``, it says whose piece it was."""
    url = absolute_url(reverse("storefront:campaign_link", kwargs={"code": link.code}))
    if recipient_id is not None:
        url += "?t=" + recipient_token(recipient_id)
    return url
