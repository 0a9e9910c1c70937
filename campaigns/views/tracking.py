"""Public tracking endpoints: the short link redirect (QR codes, social posts, buttons)."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db.models import F
from django.http import Http404, HttpResponseRedirect

from ..models import TrackedLink


def utm_added(target: str, *, campaign, channel: str) -> str:
    """``target`` with the campaign's UTM parameters (existing ones are kept)."""
    parts = urlsplit(target)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.setdefault("utm_source", "omnishop")
    query.setdefault("utm_medium", channel)
    query.setdefault("utm_campaign", campaign.utm_campaign or campaign.code.lower())
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), parts.fragment))


def link_redirect(request, code: str):
    link = TrackedLink.objects.select_related("campaign").filter(code=code.lower()).first()
    if link is None:
        raise Http404
    TrackedLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
    return HttpResponseRedirect(utm_added(link.target, campaign=link.campaign, channel=link.channel))
