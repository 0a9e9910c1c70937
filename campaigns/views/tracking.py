"""Public tracking endpoints: the open pixel, a message's click redirect, and the short link
redirect (QR codes, social posts, SMS). Thin: the signed tokens and what is recorded live in
campaigns.tracking. None of them ever shows an error for a recording that failed: the reader gets
their image or their page whatever happens to the figures."""

import logging

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

from kernel.throttling import client_address

from .. import tracking
from ..links import recipient_from_token
from ..models import CampaignRecipient, TrackedLink

logger = logging.getLogger(__name__)

def _who(request) -> dict:
    return {"user_agent": request.META.get("HTTP_USER_AGENT", "")[:tracking.USER_AGENT_MAX],
            "ip_address": client_address(request)}


@require_safe
def open_pixel(request, token: str):
    """GET /t/o/<token>.gif: a transparent 1×1 GIF, never cached. A bad token still gets the
    image and records nothing."""
    recipient_id = tracking.open_token_read(token)
    if recipient_id is not None:
        try:
            tracking.recipient_open_record(recipient_id=recipient_id, **_who(request))
        except Exception:  # the image is shown whatever happens to the figures
            logger.exception("campaign open of recipient %s not recorded", recipient_id)
    response = HttpResponse(tracking.PIXEL_GIF, content_type="image/gif")
    add_never_cache_headers(response)
    return response


@require_safe
def click_redirect(request, token: str):
    """GET /t/c/<token>/: records the recipient's click and redirects (302) to the link's target
    with the campaign's UTM parameters. The target is the one signed in the token: an altered
    token is a 404, never a redirect elsewhere."""
    found = tracking.click_token_read(token)
    if found is None:
        raise Http404
    recipient_id, target = found
    recipient = CampaignRecipient.objects.select_related("campaign", "customer").filter(pk=recipient_id).first()
    if recipient is None:  # the campaign was deleted since: the link still works
        return HttpResponseRedirect(target)
    try:
        tracking.recipient_click_record(recipient=recipient, url=target, **_who(request))
    except Exception:  # the reader gets their page whatever happens to the figures
        logger.exception("campaign click of recipient %s not recorded", recipient_id)
    content = tracking.utm_content(channel=recipient.channel, language=recipient.language)
    return HttpResponseRedirect(tracking.utm_added(target, campaign=recipient.campaign, channel=recipient.channel,
                                                   content=content))


@require_safe
def link_redirect(request, code: str):
    """GET /r/<code>/: a short link. Counts the scan; with ``?t=<recipient token>`` (a personal
    piece: a postcard, an SMS) it is that recipient's click on the link's channel."""
    link = TrackedLink.objects.select_related("campaign").filter(code=code.lower()).first()
    if link is None:
        raise Http404
    recipient = None
    recipient_id = recipient_from_token(request.GET.get("t", ""))
    if recipient_id is not None:
        recipient = (CampaignRecipient.objects.select_related("customer")
                     .filter(pk=recipient_id, campaign_id=link.campaign_id).first())
    try:
        tracking.link_scan_record(link=link, recipient=recipient, **_who(request))
    except Exception:  # the reader gets their page whatever happens to the figures
        logger.exception("scan of short link %s not recorded", link.code)
    content = tracking.utm_content(channel=link.channel, language=recipient.language if recipient else "")
    return HttpResponseRedirect(tracking.utm_added(link.target, campaign=link.campaign, channel=link.channel,
                                                   content=content))
