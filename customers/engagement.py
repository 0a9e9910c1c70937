"""Engagement with the messages a customer receives, read from the event stream alone: per
channel (email, SMS, LINE) and per message type (a campaign, an automated journey, a
transactional message such as an order's email), how many were sent, opened and clicked, the
rates, and when they last engaged. Customers owns the stream, so this needs no higher app.

What an event says about its message:

* **channel**: the ``channel`` its data carries (campaigns write it on every sent, open and click
  event: a LINE message is recorded as ``sms_sent`` with ``"channel": "line"``), else the
  channel of its kind (``email_*`` email, ``sms_*`` SMS, ``line_*`` LINE).
* **type**: ``journey`` when its data names a ``journey`` (a journey's step sends as an automated
  campaign, and its sent, open and click events carry the journey), ``campaign`` when its subject
  (or the ``message`` key a first-party event carries) starts with ``campaign:``, ``journey`` when
  it starts with ``journey:``, else ``transactional`` (an order's email, a password reset, a consent
  confirmation).
* **opened** and **clicked** count messages, not events: the distinct (customer, message
  subject) pairs with a human open or click (opens a machine made, ``"machine": true``, are
  not counted; repeats of one message count once). A click implies an open: a message clicked
  and never seen opening (SMS, LINE, images off) counts as opened too, so that the click rate
  never exceeds the open rate.

Each figure is one SQL query of conditional aggregation grouped by (type, channel), whatever
the number of events: ``customer_engagement`` for one customer's 360 page,
``segment_engagement`` for HQ's report of every segment over a period (one query for all the
segments: a conditional count per segment)."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Case, CharField, Count, F, Max, Q, QuerySet, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Customer, CustomerEvent, EventKind


class MessageType:
    CAMPAIGN = "campaign"
    JOURNEY = "journey"
    TRANSACTIONAL = "transactional"


MESSAGE_TYPES = {
    MessageType.CAMPAIGN: pgettext_lazy("message type", "Campaigns"),
    MessageType.JOURNEY: pgettext_lazy("message type", "Journeys"),
    MessageType.TRANSACTIONAL: pgettext_lazy("message type", "Transactional"),
}
# The subject (or message key) prefix of each type but the transactional one (the rest).
TYPE_PREFIXES = {MessageType.CAMPAIGN: "campaign:", MessageType.JOURNEY: "journey:"}

MESSAGE_CHANNELS = {"email": _("Email"), "sms": _("SMS"), "line": _("LINE")}


def _kinds(*names: str) -> tuple[str, ...]:
    """The event kinds of these names that exist (a LINE_SENT kind, when there is one, counts)."""
    return tuple(getattr(EventKind, name).value for name in names if hasattr(EventKind, name))


SENT_KINDS = _kinds("EMAIL_SENT", "SMS_SENT", "LINE_SENT")
OPEN_KINDS = _kinds("EMAIL_OPENED", "SMS_OPENED", "LINE_OPENED")
CLICK_KINDS = _kinds("EMAIL_CLICKED", "SMS_CLICKED", "LINE_CLICKED")
MESSAGE_KINDS = SENT_KINDS + OPEN_KINDS + CLICK_KINDS
KIND_CHANNEL = {kind: kind.split("_", 1)[0] for kind in MESSAGE_KINDS}

HUMAN = Q(data__machine__isnull=True)  # a machine's open (a mail scanner, Apple's proxy) says True
ENGAGED = (Q(kind__in=OPEN_KINDS) | Q(kind__in=CLICK_KINDS)) & HUMAN


def _channel_expression() -> Case:
    by_kind = [When(kind=kind, then=Value(channel)) for kind, channel in KIND_CHANNEL.items()]
    return Case(When(data__channel__isnull=False, then=KT("data__channel")), *by_kind,
                default=Value(""), output_field=CharField())


def _type_expression() -> Case:
    # a journey's message is sent as its step's automated campaign; its events say which journey
    whens = [When(data__journey__isnull=False, then=Value(MessageType.JOURNEY))]
    for kind, prefix in TYPE_PREFIXES.items():
        whens.append(When(subject__startswith=prefix, then=Value(kind)))
        whens.append(When(data__message__startswith=prefix, then=Value(kind)))
    return Case(*whens, default=Value(MessageType.TRANSACTIONAL), output_field=CharField())


def message_events(events: QuerySet[CustomerEvent]) -> QuerySet[CustomerEvent]:
    """``events`` kept to messages sent, opened and clicked, each with its ``message_type``,
    ``message_channel`` and ``message_ref`` (the customer and the message: what an open counts once
    by), grouped by type and channel (ready for the aggregates)."""
    return (events.filter(kind__in=MESSAGE_KINDS)
            .annotate(message_type=_type_expression(), message_channel=_channel_expression(),
                      message_ref=Concat(Cast("customer_id", CharField()), Value("|"), F("subject"),
                                         output_field=CharField()))
            .values("message_type", "message_channel").order_by())


def _figures(prefix: str = "", condition: Q | None = None) -> dict:
    """The conditional aggregates of one group of customers (``condition`` on the event; none: all)."""
    def where(q: Q) -> Q:
        return q if condition is None else q & condition
    return {
        f"{prefix}sent": Count("id", filter=where(Q(kind__in=SENT_KINDS))),
        f"{prefix}opened": Count("message_ref", distinct=True, filter=where(ENGAGED)),
        f"{prefix}clicked": Count("message_ref", distinct=True, filter=where(Q(kind__in=CLICK_KINDS) & HUMAN)),
        f"{prefix}last_sent": Max("occurred_at", filter=where(Q(kind__in=SENT_KINDS))),
        f"{prefix}last_engaged": Max("occurred_at", filter=where(ENGAGED)),
    }


def _rate(part: int, whole: int) -> float | None:
    return min(part / whole, 1.0) if whole else None


@dataclass
class Engagement:
    """Messages of one channel and type (or a total): sent, opened, clicked, converted (orders
    credited to them, where the reader knows: campaigns.reports), and the latest of each."""

    sent: int = 0
    opened: int = 0
    clicked: int = 0
    converted: int = 0
    last_sent: datetime | None = None
    last_engaged: datetime | None = None

    def add(self, other: "Engagement") -> None:
        self.sent += other.sent
        self.opened += other.opened
        self.clicked += other.clicked
        self.converted += other.converted
        self.last_sent = max(filter(None, [self.last_sent, other.last_sent]), default=None)
        self.last_engaged = max(filter(None, [self.last_engaged, other.last_engaged]), default=None)

    @property
    def open_rate(self) -> float | None:
        return _rate(self.opened, self.sent)

    @property
    def click_rate(self) -> float | None:
        return _rate(self.clicked, self.sent)

    @property
    def conversion_rate(self) -> float | None:
        return _rate(self.converted, self.sent)

    @property
    def empty(self) -> bool:
        return not (self.sent or self.opened or self.clicked or self.converted)


@dataclass
class EngagementRow:
    key: str  # a channel or a message type
    label: str
    figures: Engagement


@dataclass
class CustomerEngagement:
    """A customer's engagement: per channel, per message type, and in all."""

    channels: list[EngagementRow]
    types: list[EngagementRow]
    total: Engagement = field(default_factory=Engagement)
    # per (type, channel): the cells behind both breakdowns
    cells: dict[tuple[str, str], Engagement] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.total.empty

    @property
    def groups(self) -> list[tuple[str, list[EngagementRow]]]:
        """The two breakdowns with their headings (the 360 page's table)."""
        return [(str(_("By channel")), self.channels), (str(_("By message type")), self.types)]


def _label(labels: dict, key: str) -> str:
    return str(labels.get(key, key or "—"))


def _breakdown(cells: dict[tuple[str, str], Engagement]) -> CustomerEngagement:
    channels: dict[str, Engagement] = {}
    types: dict[str, Engagement] = {key: Engagement() for key in MESSAGE_TYPES}
    total = Engagement()
    for (kind, channel), figures in cells.items():
        channels.setdefault(channel, Engagement()).add(figures)
        types.setdefault(kind, Engagement()).add(figures)
        total.add(figures)
    order = list(MESSAGE_CHANNELS)
    channel_rows = [EngagementRow(key, _label(MESSAGE_CHANNELS, key), figures) for key, figures in
                    sorted(channels.items(), key=lambda item: (order.index(item[0]) if item[0] in order
                                                               else len(order), item[0]))]
    type_rows = [EngagementRow(key, _label(MESSAGE_TYPES, key), figures) for key, figures in types.items()]
    return CustomerEngagement(channels=channel_rows, types=type_rows, total=total, cells=cells)


def _engagement(row: dict, prefix: str = "") -> Engagement:
    return Engagement(sent=row[f"{prefix}sent"], opened=row[f"{prefix}opened"], clicked=row[f"{prefix}clicked"],
                      last_sent=row[f"{prefix}last_sent"], last_engaged=row[f"{prefix}last_engaged"])


def customer_engagement(*, customer: Customer | int) -> CustomerEngagement:
    """The customer's engagement by channel and by message type, over their whole stream: ONE query."""
    customer_id = getattr(customer, "pk", customer)
    rows = message_events(CustomerEvent.objects.filter(customer_id=customer_id)).annotate(**_figures())
    return _breakdown({(row["message_type"], row["message_channel"]): _engagement(row) for row in rows})


@dataclass
class SegmentEngagement:
    """One group of customers (a segment, or everyone) over a period: its (type, channel) cells."""

    key: str  # the segment's id, or "all"
    label: str
    cells: dict[tuple[str, str], Engagement]

    def total(self, message_type: str = "", channel: str = "") -> Engagement:
        out = Engagement()
        for (kind, chan), figures in self.cells.items():
            if (not message_type or kind == message_type) and (not channel or chan == channel):
                out.add(figures)
        return out


def segment_event_condition(condition: Q) -> Q:
    """A condition on customers (a segment's: customers.segments.segment_condition) as a
    condition on their events."""
    return Q(customer_id__in=Customer.objects.filter(condition).values("pk"))


ALL = "all"


def segment_engagement(*, since: datetime, until: datetime, groups: list[tuple[str, str, Q | None]]
                       ) -> list[SegmentEngagement]:
    """Messages sent, opened and clicked in [since, until) by the customers of each group, per
    (type, channel): ONE query however many groups and events (a conditional aggregate per group).
    ``groups``: (key, label, condition on the event or None for every customer)."""
    aggregates = {}
    for index, (_key, _label, condition) in enumerate(groups):
        aggregates.update(_figures(f"g{index}_", condition))
    rows = list(message_events(CustomerEvent.objects.filter(occurred_at__gte=since, occurred_at__lt=until))
                .annotate(**aggregates)) if groups else []
    out = []
    for index, (key, label, _condition) in enumerate(groups):
        cells = {}
        for row in rows:
            figures = _engagement(row, f"g{index}_")
            if not figures.empty:
                cells[(row["message_type"], row["message_channel"])] = figures
        out.append(SegmentEngagement(key=key, label=label, cells=cells))
    return out
