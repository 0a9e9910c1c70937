"""Opens, clicks and scans of a campaign's messages: signed URLs, and what following them records.

* ``open_pixel_url(recipient)``: the 1×1 image an email carries (``/t/o/<token>.gif``).
* ``click_url(recipient, target)``: a link in a message (``/t/c/<token>/``). The token signs the
  recipient *and* the target, so the redirect only ever goes where a message pointed: it is never
  an open redirect.
* Short links (``/r/<code>/``, campaigns.links) on printed pieces, social posts and SMS; with
  ``?t=<recipient token>`` a scan is the recipient's, without it an anonymous scan (counted only).

Every open and click of a recipient appends a customer event (``EMAIL_OPENED``, ``EMAIL_CLICKED``,
``SMS_CLICKED``, ``LINE_CLICKED``, ``ONSITE_CLICKED``, ``QR_SCANNED``; data ``campaign``,
``channel``, ``url``, ``recipient``) and publishes a domain event (campaigns.domain_events). The
first human open sets ``CampaignRecipient.opened_at``, the first click ``clicked_at`` (a click
implies an open). Opens made by machines (Apple Mail Privacy Protection's prefetch, mail security
scanners, crawlers) are recorded with ``"machine": true`` and set nothing: results never count
them. Repeats are rate-limited per recipient (``CAMPAIGN_OPEN_EVENT_SECONDS``, default one open
event an hour; ``CAMPAIGN_CLICK_EVENT_SECONDS``, default one click event a minute per link),
through the cache (atomic across processes on Redis, per process on the local-memory cache).
"""

import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from customers.models import EventKind
from customers.services import event_record
from customers.tracking import BOT_USER_AGENT
from kernel.events import publish
from kernel.site import absolute_url
from kernel.subjects import SubjectLabel, campaign_subject

from . import domain_events
from .models import Campaign, CampaignRecipient, MessageChannel, TrackedLink

OPEN_SALT = "campaigns.open"
CLICK_SALT = "campaigns.click"
UTM_SOURCE = "omnishop"
USER_AGENT_MAX = 300

# A transparent 1×1 GIF (43 bytes).
PIXEL_GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
             b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")

# The customer event a followed link of each channel appends.
CLICK_EVENT_KINDS = {
    MessageChannel.EMAIL: EventKind.EMAIL_CLICKED,
    MessageChannel.SMS: EventKind.SMS_CLICKED,
    MessageChannel.LINE: EventKind.LINE_CLICKED,
    MessageChannel.ONSITE: EventKind.ONSITE_CLICKED,
    MessageChannel.POSTCARD: EventKind.QR_SCANNED,
    MessageChannel.POP: EventKind.QR_SCANNED,
    MessageChannel.SOCIAL: EventKind.QR_SCANNED,
}
CLICK_KINDS = tuple(dict.fromkeys(CLICK_EVENT_KINDS.values()))
OPEN_KINDS = (EventKind.EMAIL_OPENED,)

# Fetches no person made: mail security scanners that open every image and link of a message
# (with the crawlers customers.tracking already knows). Apple Mail Privacy Protection fetches
# every image on delivery from Apple's network with a bare "Mozilla/5.0".
SCANNER_USER_AGENT = re.compile(
    r"barracuda|mimecast|proofpoint|messagelabs|symantec|trendmicro|trend micro|forcepoint|ironport|"
    r"fortiguard|sophos|zscaler|bitdefender|safelinks|microsoft office protection|cloudmark|"
    r"appriver|spamtitan|hornetsecurity|libredtail",
    re.IGNORECASE,
)
APPLE_PROXY_USER_AGENT = "Mozilla/5.0"
DEFAULT_MACHINE_NETWORKS = ("17.0.0.0/8",)  # Apple's; CAMPAIGN_MACHINE_NETWORKS replaces the list


def subject_for(campaign_id: int) -> str:
    """The customer events' and domain events' subject key of a campaign: ``campaign:<id>``."""
    return campaign_subject(campaign_id)


def event_subject_labels(references) -> dict[str, SubjectLabel]:
    """Labels of ``campaign:<id>`` subjects on the customer timeline (kernel.subjects): the
    campaign's name, linked to its console page. One query for a whole page of events."""
    ids = {int(reference) for reference in references if reference.isdigit()}
    names = dict(Campaign.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    return {str(pk): SubjectLabel(text=gettext("Campaign %(name)s") % {"name": name},
                                  url=reverse("console:campaign_detail", kwargs={"pk": pk}),
                                  permission="campaigns.view_campaign")
            for pk, name in names.items()}


def unsubscribe_reference(campaign: Campaign) -> str:
    """What a campaign's unsubscribe links carry (customers.consent ``reference``): results count
    the withdrawals recorded with it."""
    return subject_for(campaign.pk)


# --- signed URLs --------------------------------------------------------------------------------

def open_token(recipient_id: int) -> str:
    return signing.Signer(salt=OPEN_SALT).sign(signing.b62_encode(recipient_id))


def open_token_read(token: str) -> int | None:
    """The recipient id of a pixel token, or None when it was altered."""
    try:
        return signing.b62_decode(signing.Signer(salt=OPEN_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def open_pixel_url(recipient: CampaignRecipient) -> str:
    """The absolute URL of ``recipient``'s open pixel."""
    return absolute_url(reverse("storefront:campaign_open", kwargs={"token": open_token(recipient.pk)}))


# Links a message may carry that open an app rather than a page: left as they are, untracked.
UNTRACKED_SCHEMES = ("mailto", "tel", "sms", "line")


def _check_target(target: str) -> str:
    target = (target or "").strip()
    parts = urlsplit(target)
    if parts.scheme in ("http", "https") and parts.netloc:
        return target
    if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
        return target
    raise ValueError(f"A tracked link goes to a path on the shop or an http(s) address, not {target!r}.")


def click_token(recipient_id: int, target: str) -> str:
    value = signing.b62_encode(recipient_id) + "." + signing.b64_encode(_check_target(target).encode()).decode()
    return signing.Signer(salt=CLICK_SALT).sign(value)


def click_token_read(token: str) -> tuple[int, str] | None:
    """``(recipient id, target)`` of a click token, or None when it was altered."""
    try:
        recipient, _sep, target = signing.Signer(salt=CLICK_SALT).unsign(token).partition(".")
        return signing.b62_decode(recipient), _check_target(signing.b64_decode(target.encode()).decode())
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None


def click_url(recipient: CampaignRecipient, target: str) -> str:
    """The absolute URL a message's link to ``target`` (a path on the shop or an http(s) address)
    becomes for ``recipient``: following it records the click and redirects to ``target`` with the
    campaign's UTM parameters. A ``mailto:``, ``tel:``, ``sms:`` or ``line:`` link (an address
    written in the body) is returned as it is; ValueError for any other kind of target
    (``javascript:``, a relative or protocol-relative address)."""
    if urlsplit((target or "").strip()).scheme.lower() in UNTRACKED_SCHEMES:
        return target.strip()
    return absolute_url(reverse("storefront:campaign_click", kwargs={"token": click_token(recipient.pk, target)}))


def utm_added(target: str, *, campaign: Campaign, channel: str, content: str = "") -> str:
    """``target`` with the campaign's UTM parameters (ones it already has are kept):
    utm_source=omnishop, utm_medium=<channel>, utm_campaign=<the campaign's UTM name or code>,
    utm_content=<content> (the message: ``email-ja``)."""
    parts = urlsplit(target)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.setdefault("utm_source", UTM_SOURCE)
    query.setdefault("utm_medium", channel)
    query.setdefault("utm_campaign", campaign.utm_campaign or campaign.code.lower())
    if content:
        query.setdefault("utm_content", content)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", urlencode(query), parts.fragment))


def utm_content(*, channel: str, language: str = "") -> str:
    """Which message a visit came from: ``<channel>-<language>`` (``email-ja``), or the channel."""
    return f"{channel}-{language}" if language else channel


# --- machines and repeats ---------------------------------------------------------------------------

def _machine_networks():
    return [ipaddress.ip_network(network)
            for network in getattr(settings, "CAMPAIGN_MACHINE_NETWORKS", DEFAULT_MACHINE_NETWORKS)]


def is_machine(*, user_agent: str, ip_address: str | None = None) -> bool:
    """Whether a fetch came from a machine rather than a person reading: no user agent, Apple's
    privacy proxy (a bare ``Mozilla/5.0``, or its network), a mail security scanner, a crawler."""
    user_agent = (user_agent or "").strip()
    if not user_agent or user_agent == APPLE_PROXY_USER_AGENT:
        return True
    if SCANNER_USER_AGENT.search(user_agent) or BOT_USER_AGENT.search(user_agent):
        return True
    if ip_address:
        try:
            address = ipaddress.ip_address(ip_address)
        except ValueError:
            return False
        return any(address in network for network in _machine_networks())
    return False


def _first_in_window(key: str, seconds: int) -> bool:
    """True for the first call with ``key`` in ``seconds`` (atomic ``cache.add``)."""
    return seconds <= 0 or cache.add(key, 1, seconds)


def open_event_seconds() -> int:
    return getattr(settings, "CAMPAIGN_OPEN_EVENT_SECONDS", 3600)


def click_event_seconds() -> int:
    return getattr(settings, "CAMPAIGN_CLICK_EVENT_SECONDS", 60)


# --- recording ------------------------------------------------------------------------------------

def _event_data(recipient: CampaignRecipient, *, channel: str, url: str = "", machine: bool = False,
                link: TrackedLink | None = None) -> dict:
    data = {"campaign": recipient.campaign_id, "channel": channel, "recipient": recipient.pk}
    if recipient.occurrence:  # a journey's message (campaigns.journey_engine): which journey
        from .models_journeys import JourneyStep

        journey_id = JourneyStep.objects.filter(campaign_id=recipient.campaign_id).values_list(
            "journey_id", flat=True).first()
        if journey_id:
            data["journey"] = journey_id
    if url:
        data["url"] = url[:500]
    if link is not None:
        data["link"] = link.code
    if machine:
        data["machine"] = True
    return data


def recipient_open_record(*, recipient_id: int, user_agent: str = "", ip_address: str | None = None) -> bool:
    """``recipient``'s email was opened (its pixel fetched). The first human open sets
    ``opened_at``; every open (at most one an hour per recipient, machines' apart) appends an
    ``EMAIL_OPENED`` event and publishes ``campaigns.message_opened``. Returns whether anything
    was recorded (False: unknown recipient, or a repeat within the hour)."""
    machine = is_machine(user_agent=user_agent, ip_address=ip_address)
    if not _first_in_window(f"campaigns:open:{recipient_id}:{int(machine)}", open_event_seconds()):
        return False  # a repeat: nothing is read or written
    with transaction.atomic():
        return _open_record(recipient_id=recipient_id, machine=machine)


def _open_record(*, recipient_id: int, machine: bool) -> bool:
    recipient = CampaignRecipient.objects.select_related("customer").filter(pk=recipient_id).first()
    if recipient is None or recipient.customer.erased_at is not None:
        return False
    now = timezone.now()
    first = not machine and bool(
        CampaignRecipient.objects.filter(pk=recipient.pk, opened_at__isnull=True).update(opened_at=now))
    event_record(customer=recipient.customer, kind=EventKind.EMAIL_OPENED, subject=subject_for(recipient.campaign_id),
                 data=_event_data(recipient, channel=recipient.channel, machine=machine), occurred_at=now)
    publish(domain_events.MESSAGE_OPENED, subject=subject_for(recipient.campaign_id),
            payload=domain_events.MessageOpened(
                campaign_id=recipient.campaign_id, recipient_id=recipient.pk, customer_id=recipient.customer_id,
                channel=recipient.channel, machine=machine, first=first))
    return True


def recipient_click_record(*, recipient: CampaignRecipient, url: str, channel: str = "",
                           link: TrackedLink | None = None, user_agent: str = "",
                           ip_address: str | None = None) -> bool:
    """``recipient`` followed a link to ``url`` (a message's link, or the short ``link`` on
    ``channel``, e.g. a postcard's QR code). The first human click sets ``clicked_at`` (and
    ``opened_at`` when still empty: a click implies an open); every click (at most one a minute
    per recipient and link) appends the channel's click event (``CLICK_EVENT_KINDS``) and
    publishes ``campaigns.link_clicked``. Returns whether anything was recorded."""
    if recipient.customer.erased_at is not None:
        return False  # their data is gone: nothing more is recorded about them
    channel = channel or recipient.channel
    machine = is_machine(user_agent=user_agent, ip_address=ip_address)
    key = f"campaigns:click:{recipient.pk}:{link.pk if link else url}:{int(machine)}"
    if not _first_in_window(key[:240], click_event_seconds()):
        return False  # a repeat: nothing is read or written
    with transaction.atomic():
        _click_record(recipient=recipient, url=url, channel=channel, link=link, machine=machine)
    return True


def _click_record(*, recipient: CampaignRecipient, url: str, channel: str, link: TrackedLink | None,
                  machine: bool) -> None:
    now = timezone.now()
    first = not machine and bool(
        CampaignRecipient.objects.filter(pk=recipient.pk, clicked_at__isnull=True)
        .update(clicked_at=now, opened_at=Coalesce(F("opened_at"), Value(now))))
    event_record(customer=recipient.customer, kind=CLICK_EVENT_KINDS.get(channel, EventKind.EMAIL_CLICKED),
                 subject=subject_for(recipient.campaign_id),
                 data=_event_data(recipient, channel=channel, url=url, machine=machine, link=link), occurred_at=now)
    publish(domain_events.LINK_CLICKED, subject=subject_for(recipient.campaign_id),
            payload=domain_events.LinkClicked(
                campaign_id=recipient.campaign_id, recipient_id=recipient.pk, customer_id=recipient.customer_id,
                channel=channel, url=url[:500], link_id=link.pk if link else None, machine=machine, first=first))


def link_scan_record(*, link: TrackedLink, recipient: CampaignRecipient | None = None, user_agent: str = "",
                     ip_address: str | None = None) -> None:
    """Someone followed the short ``link`` (scanned a QR code, tapped a post or an SMS link): its
    count goes up; with ``recipient`` (the ``t`` of a personal piece, of the link's campaign) it is
    also that recipient's click on the link's channel."""
    with transaction.atomic():
        TrackedLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
        if recipient is not None:
            recipient_click_record(recipient=recipient, url=link.target, channel=link.channel, link=link,
                                   user_agent=user_agent, ip_address=ip_address)
