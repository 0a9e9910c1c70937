"""Which orders a campaign earned (``CampaignConversion``).

Two ways an order becomes a campaign's conversion:

* **Last touch** (``order_placed_handle``, the consumer of ``orders.order_placed``): the
  customer's most recent touch of any campaign within ``CAMPAIGN_ATTRIBUTION_DAYS`` (setting,
  default 7) before the order wins: a link followed or a QR code scanned (``click``), an email
  opened by a person (``open``; machine opens never count), a message received (``sent``). The
  last one in time wins; at the same moment a click outranks an open, an open a message. Clicks
  and opens are read from the customer event stream (what campaigns.tracking appends, so a
  merged customer's touches follow them), messages from the campaign's recipients.
* **A code** (``conversion_record_code``, called by the offers when an order redeems a campaign's
  code, online or at the till). A code is proof: an order that redeemed one is credited to the
  code's campaign only, and the last-touch consumer leaves it alone.

Revenue is the order's total in yen when it was placed. One conversion per (campaign, order):
the consumer may see an event again after a crash and records nothing twice.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import CustomerEvent

from .models import Campaign, CampaignRecipient, RecipientStatus
from .models_tracking import CampaignConversion, ConversionTouch
from .tracking import CLICK_KINDS, OPEN_KINDS

# The most recent events of a customer read when looking for their last touch.
TOUCH_EVENTS_READ = 50
TOUCH_RANK = {ConversionTouch.CLICK: 3, ConversionTouch.OPEN: 2, ConversionTouch.SENT: 1}


def attribution_window() -> timedelta:
    return timedelta(days=getattr(settings, "CAMPAIGN_ATTRIBUTION_DAYS", 7))


@dataclass(frozen=True)
class Touch:
    campaign_id: int
    recipient_id: int | None
    channel: str
    touch: str  # ConversionTouch
    at: datetime

    @property
    def rank(self) -> tuple:
        return (self.at, TOUCH_RANK[self.touch])


def last_touch(*, customer_id: int, at: datetime) -> Touch | None:
    """The customer's last campaign touch in the attribution window before ``at`` (see the module
    docstring), or None. Three queries whatever the customer's history."""
    since = at - attribution_window()
    touches: list[Touch] = []
    events = (CustomerEvent.objects
              .filter(customer_id=customer_id, kind__in=(*CLICK_KINDS, *OPEN_KINDS),
                      occurred_at__gte=since, occurred_at__lte=at)
              .order_by("-occurred_at", "-id").values("kind", "occurred_at", "data")[:TOUCH_EVENTS_READ])
    for event in events:
        data = event["data"] if isinstance(event["data"], dict) else {}
        if data.get("machine") or not isinstance(data.get("campaign"), int):
            continue
        recipient = data.get("recipient")
        touches.append(Touch(
            campaign_id=data["campaign"], recipient_id=recipient if isinstance(recipient, int) else None,
            channel=str(data.get("channel", ""))[:12],
            touch=ConversionTouch.OPEN if event["kind"] in OPEN_KINDS else ConversionTouch.CLICK,
            at=event["occurred_at"]))
    sent = (CampaignRecipient.objects
            .filter(customer_id=customer_id, status=RecipientStatus.SENT, sent_at__gte=since, sent_at__lte=at)
            .order_by("-sent_at", "-id").values("id", "campaign_id", "channel", "sent_at").first())
    if sent is not None:
        touches.append(Touch(campaign_id=sent["campaign_id"], recipient_id=sent["id"], channel=sent["channel"],
                             touch=ConversionTouch.SENT, at=sent["sent_at"]))
    if not touches:
        return None
    existing = set(Campaign.objects.filter(pk__in={touch.campaign_id for touch in touches})
                   .values_list("pk", flat=True))
    touches = [touch for touch in touches if touch.campaign_id in existing]
    return max(touches, key=lambda touch: touch.rank) if touches else None


def _record(**fields) -> CampaignConversion | None:
    """Insert one conversion; None when the (campaign, order) has one already."""
    try:
        with transaction.atomic():
            return CampaignConversion.objects.create(**fields)
    except IntegrityError:
        return None


@transaction.atomic
def conversion_record_touch(*, customer_id: int, order_id: int | None, order_number: str, revenue: int,
                            order_channel: str = "", at: datetime) -> CampaignConversion | None:
    """Credit the order to the campaign of the customer's last touch (``last_touch``); None when
    there is none in the window, when the order redeemed a campaign's code (the code's campaign
    has it), or when it is credited already."""
    if CampaignConversion.objects.filter(order_number=order_number, touch=ConversionTouch.CODE).exists():
        return None
    touch = last_touch(customer_id=customer_id, at=at)
    if touch is None:
        return None
    return _record(campaign_id=touch.campaign_id, recipient_id=touch.recipient_id, customer_id=customer_id,
                   order_id=order_id, order_number=order_number, revenue=max(int(revenue), 0),
                   channel=touch.channel, order_channel=order_channel[:40], touch=touch.touch,
                   touched_at=touch.at, occurred_at=at)


@transaction.atomic
def conversion_record_code(*, campaign_id: int, customer_id: int | None, order_id: int | None, order_number: str,
                           revenue: int, channel: str = "", at: datetime | None = None) -> CampaignConversion:
    """An order redeemed a code of campaign ``campaign_id``: credit it to that campaign (the
    offers call this inside the order's transaction). ``channel``: where the order was placed (the
    sales channel: ``web``, ``pos``…); the campaign's channel is the customer's recipient row of
    the campaign when there is one (an emailed code: ``email``), else empty (a printed shared
    code). A last-touch conversion of the same order, if one was made already, gives way.
    Safe to call twice: the first stays."""
    at = at or timezone.now()
    recipient = None
    if customer_id is not None:
        recipient = (CampaignRecipient.objects.filter(campaign_id=campaign_id, customer_id=customer_id)
                     .order_by("-sent_at", "-id").values("id", "channel").first())
    CampaignConversion.objects.filter(order_number=order_number).exclude(touch=ConversionTouch.CODE).delete()
    conversion = _record(campaign_id=campaign_id, recipient_id=recipient["id"] if recipient else None,
                         customer_id=customer_id, order_id=order_id, order_number=order_number,
                         revenue=max(int(revenue), 0), channel=recipient["channel"] if recipient else "",
                         order_channel=(channel or "")[:40], touch=ConversionTouch.CODE, touched_at=at,
                         occurred_at=at)
    return conversion or CampaignConversion.objects.get(campaign_id=campaign_id, order_number=order_number)


def order_placed_handle(events) -> None:
    """The consumer of ``orders.order_placed`` (kernel.events): each order of a known customer in
    yen becomes the conversion of their last campaign touch, if any. Runs in the transaction that
    advances the consumer's cursor."""
    for event in events:
        payload = event.payload
        if not payload.get("customer_id") or payload.get("currency", "JPY") != "JPY":
            continue
        conversion_record_touch(customer_id=payload["customer_id"], order_id=payload.get("order_id"),
                                order_number=payload["number"], revenue=payload.get("total") or 0,
                                order_channel=payload.get("channel", ""), at=event.created_at)
