"""A campaign's results: what happened to its recipients, what it earned, and the same over time.

``campaign_results`` reads everything in five queries however large the campaign (recipients
aggregated per channel with filtered counts, skips per reason, conversions per channel, the
unsubscribes its links recorded in the consent ledger, its short links' scans).
``campaign_timeline`` buckets sends, first opens, first clicks and conversions per hour or day in
the shop's time zone (four grouped queries); ``timeline_chart`` lays the points out for the
server-rendered SVG chart (campaigns/_chart.html).

Opens are people's: an open by a machine (Apple Mail Privacy Protection, a scanner) sets no
``opened_at`` (campaigns.tracking), so it is never counted. "Delivered" is a message sent and not
bounced (a provider's delivery receipt confirms it where the channel has them).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from customers.models import ConsentRecord, ConsentSource

from .models import Campaign, CampaignRecipient, MessageChannel, RecipientStatus, SkipReason, TrackedLink
from .models_tracking import CampaignConversion
from .tracking import unsubscribe_reference

# The consent ledger's channel for each campaign channel that carries an unsubscribe link.
UNSUBSCRIBE_CHANNELS = {"email": "email", "sms": "sms", "line": "line", "postal": "postcard"}


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass
class Figures:
    """The counts of one channel, or of the whole campaign."""

    recipients: int = 0
    pending: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    delivered: int = 0
    bounced: int = 0
    opened: int = 0
    clicked: int = 0
    converted: int = 0
    revenue: int = 0  # yen
    unsubscribed: int = 0

    def add(self, other: "Figures") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    # rates (None when there is nothing to divide by)
    @property
    def delivery_rate(self) -> float | None:
        return _rate(self.delivered, self.sent)

    @property
    def open_rate(self) -> float | None:
        return _rate(self.opened, self.delivered)

    @property
    def click_rate(self) -> float | None:
        return _rate(self.clicked, self.delivered)

    @property
    def click_to_open_rate(self) -> float | None:
        return _rate(self.clicked, self.opened)

    @property
    def conversion_rate(self) -> float | None:
        return _rate(self.converted, self.delivered)

    @property
    def unsubscribe_rate(self) -> float | None:
        return _rate(self.unsubscribed, self.delivered)


@dataclass
class CampaignResults:
    campaign: Campaign
    total: Figures
    channels: dict[str, Figures]  # per MessageChannel value, in the order of MessageChannel
    skipped_by_reason: list[tuple[str, str, int]]  # (reason, label, count), most first
    scans: int  # every follow of the campaign's short links, anonymous ones included
    converted_by_touch: dict[str, int] = field(default_factory=dict)

    @property
    def finished_share(self) -> float | None:
        """How much of the audience is accounted for (sent, skipped or failed)."""
        return _rate(self.total.recipients - self.total.pending, self.total.recipients)


def campaign_results(campaign: Campaign) -> CampaignResults:
    """Every figure of ``campaign``'s results page, in five queries."""
    human = Q(opened_at__isnull=False)
    rows = (CampaignRecipient.objects.filter(campaign=campaign).values("channel").order_by("channel").annotate(
        recipients=Count("id"),
        pending=Count("id", filter=Q(status=RecipientStatus.PENDING)),
        sent=Count("id", filter=Q(status=RecipientStatus.SENT)),
        skipped=Count("id", filter=Q(status=RecipientStatus.SKIPPED)),
        failed=Count("id", filter=Q(status=RecipientStatus.FAILED)),
        delivered=Count("id", filter=Q(status=RecipientStatus.SENT, bounced_at__isnull=True)),
        bounced=Count("id", filter=Q(bounced_at__isnull=False)),
        opened=Count("id", filter=human),
        clicked=Count("id", filter=Q(clicked_at__isnull=False)),
    ))
    channels: dict[str, Figures] = {}
    for row in rows:
        channel = row.pop("channel")
        channels[channel] = Figures(**row)

    skipped = (CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.SKIPPED)
               .values("reason").order_by("reason").annotate(count=Count("id")))
    labels = dict(SkipReason.choices)
    skipped_by_reason = sorted(((row["reason"], str(labels.get(row["reason"], row["reason"] or "-")), row["count"])
                                for row in skipped), key=lambda item: (-item[2], item[0]))

    converted_by_touch: dict[str, int] = {}
    for row in (CampaignConversion.objects.filter(campaign=campaign).values("channel", "touch")
                .order_by("channel", "touch").annotate(count=Count("id"), revenue=Sum("revenue"))):
        figures = channels.setdefault(row["channel"], Figures())
        figures.converted += row["count"]
        figures.revenue += row["revenue"] or 0
        converted_by_touch[row["touch"]] = converted_by_touch.get(row["touch"], 0) + row["count"]

    for row in (ConsentRecord.objects.filter(source=ConsentSource.UNSUBSCRIBE, granted=False,
                                             source_detail=unsubscribe_reference(campaign))
                .values("channel").order_by("channel").annotate(count=Count("customer", distinct=True))):
        channel = UNSUBSCRIBE_CHANNELS.get(row["channel"], row["channel"])
        channels.setdefault(channel, Figures()).unsubscribed += row["count"]

    scans = TrackedLink.objects.filter(campaign=campaign).aggregate(scans=Sum("clicks"))["scans"] or 0

    total = Figures()
    for figures in channels.values():
        total.add(figures)
    ordered = {value: channels[value] for value in MessageChannel.values if value in channels}
    ordered.update({key: value for key, value in channels.items() if key not in ordered})  # "" (a code)
    return CampaignResults(campaign=campaign, total=total, channels=ordered, skipped_by_reason=skipped_by_reason,
                           scans=scans, converted_by_touch=converted_by_touch)


# --- over time -----------------------------------------------------------------------------------

SERIES = ("sent", "opened", "clicked", "converted")


@dataclass(frozen=True)
class TimelinePoint:
    at: datetime  # the bucket's start, in the shop's time zone
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    converted: int = 0


def _bucket_step(bucket: str) -> timedelta:
    return timedelta(hours=1) if bucket == "hour" else timedelta(days=1)


def timeline_bucket(campaign: Campaign) -> str:
    """``"hour"`` for a campaign's first three days, ``"day"`` after."""
    start = campaign.started_at or campaign.send_at or campaign.created_at
    return "hour" if start is None or timezone.now() - start <= timedelta(days=3) else "day"


def campaign_timeline(campaign: Campaign, *, bucket: str = "hour") -> list[TimelinePoint]:
    """Sends, first (human) opens, first clicks and conversions per ``bucket`` ("hour" or "day",
    truncated in SQL in the shop's time zone), every bucket from the first to the last present
    (empty ones as zeros). Four queries."""
    if bucket not in ("hour", "day"):
        raise ValueError("bucket is 'hour' or 'day'")
    zone = timezone.get_default_timezone()
    trunc = TruncHour if bucket == "hour" else TruncDay
    counts: dict[datetime, dict[str, int]] = {}
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    sources = (
        ("sent", recipients.filter(sent_at__isnull=False, status=RecipientStatus.SENT), "sent_at"),
        ("opened", recipients.filter(opened_at__isnull=False), "opened_at"),
        ("clicked", recipients.filter(clicked_at__isnull=False), "clicked_at"),
        ("converted", CampaignConversion.objects.filter(campaign=campaign), "occurred_at"),
    )
    for name, queryset, column in sources:
        for row in (queryset.annotate(bucket=trunc(column, tzinfo=zone)).values("bucket")
                    .order_by("bucket").annotate(count=Count("id"))):
            at = row["bucket"]
            at = timezone.localtime(at, zone) if timezone.is_aware(at) else timezone.make_aware(at, zone)
            counts.setdefault(at, {})[name] = row["count"]
    if not counts:
        return []
    step, at, last = _bucket_step(bucket), min(counts), max(counts)
    points = []
    while at <= last:
        points.append(TimelinePoint(at=at, **counts.get(at, {})))
        at = at + step  # wall-clock arithmetic in the shop's zone (a day is a calendar day)
    return points


# --- the chart -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChartSeries:
    key: str  # the CSS class chart-line-<key> (sent / opened / ..., sales / previous, ...)
    label: str
    points: str  # the polyline's "x,y x,y ..."
    total: int

    @property
    def total_label(self) -> str:
        return f"{self.total:,}"

    @property
    def dots(self) -> list[tuple[str, str]]:
        """The points as (x, y) pairs: a marker at each, so a series of one bucket still shows."""
        return [tuple(pair.split(",", 1)) for pair in self.points.split() if "," in pair]


@dataclass(frozen=True)
class ChartTick:
    position: float
    label: str


@dataclass(frozen=True)
class ChartBar:
    key: str  # the series: CSS class chart-bar-<key>
    x: float
    y: float
    width: float
    height: float
    label: str  # "<position>: <series> <value>", the bar's tooltip


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    series: list[ChartSeries]
    x_ticks: list[ChartTick]
    y_ticks: list[ChartTick]
    rows: list[tuple]  # the table behind the chart: (x label, value of each series, ...)
    bucket: str
    empty: bool
    title: str = ""  # the SVG's <title>
    axis_label: str = ""  # the table's first column
    empty_text: str = ""  # said instead of the chart when there is nothing to draw
    bars: list["ChartBar"] = field(default_factory=list)  # a bar chart's rectangles (then no lines)
    totals: bool = True  # the legend sums each series (not for medians or rates, whose sum means nothing)


SERIES_LABELS = {"sent": pgettext_lazy("campaign figure", "Sent"), "opened": pgettext_lazy("campaign figure", "Opened"),
                 "clicked": pgettext_lazy("campaign figure", "Clicked"),
                 "converted": pgettext_lazy("campaign figure", "Converted")}


def _nice_max(value: int) -> int:
    """The count axis' top: the smallest 1, 2 or 5 times a power of ten that is at least
    ``value`` (and at least 1)."""
    base = 1
    while True:
        for step in (1, 2, 5):
            if base * step >= value:
                return base * step
        base *= 10


def _axis_label(value: int) -> str:
    """A count axis' label: 1,000 and up shortened (12k, 3.5M) so it fits left of the plot."""
    if value >= 1_000_000:
        return f"{value / 1_000_000:,.1f}".rstrip("0").rstrip(".") + "M"
    if value >= 10_000:
        return f"{value / 1_000:,.1f}".rstrip("0").rstrip(".") + "k"
    return f"{value:,}"


def _tick_every(count: int) -> int:
    """Label every n-th x position, so the axis has at most eight labels."""
    return max(1, -(-count // 8))


def line_chart(labels: list[str], series: list[tuple[str, str, list[int]]], *, tick_labels: list[str] | None = None,
               title: str = "", axis_label: str = "", empty_text: str = "", bucket: str = "day",
               width: int = 720, height: int = 260, bars: bool = False, totals: bool = True) -> Chart:
    """The SVG geometry of a line per ``series`` (key, label, one value per x position) over the
    x positions ``labels`` (campaigns/_chart.html draws it, with the values as a table behind):
    the x axis labelled at most eight times (``tick_labels``: a shorter label per position), the
    count axis at 0, half and the top. ``bars``: grouped bars instead of lines (positions that
    are categories, not time), each position a band with a bar per series. ``totals``: the legend
    sums each series (False for medians or rates). The one chart engine
    of the console: the campaign timeline and the reports (campaigns.reports) draw with it."""
    left, right, top, bottom = 48, width - 12, 12, height - 32
    count = len(labels)
    rows = [(label, *(values[i] for _key, _label, values in series)) for i, label in enumerate(labels)]
    peak = max((value for _key, _label, values in series for value in values), default=0)
    y_max = _nice_max(peak)
    span = max(count - 1, 1)
    band = (right - left) / max(count, 1)

    def x(index: int) -> float:
        if bars:
            return round(left + band * (index + 0.5), 1)
        return round(left + (right - left) * (index / span if count > 1 else 0.5), 1)

    def y(value: int) -> float:
        return round(bottom - (bottom - top) * value / y_max, 1)

    rects: list[ChartBar] = []
    if bars:
        width_each = min(band * 0.8 / max(len(series), 1), 48)
        for i, label in enumerate(labels):
            start = x(i) - width_each * len(series) / 2
            for n, (key, name, values) in enumerate(series):
                top_y = y(values[i])
                rects.append(ChartBar(key=key, x=round(start + n * width_each, 1), y=top_y,
                                      width=round(width_each - 1, 1), height=round(bottom - top_y, 1),
                                      label=f"{label}: {name} {values[i]:,}"))
    drawn = [ChartSeries(key=key, label=str(label),
                         points="" if bars else " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values)),
                         total=sum(values))
             for key, label, values in series]
    ticks = tick_labels or labels
    x_ticks = [ChartTick(position=x(i), label=ticks[i]) for i in range(0, count, _tick_every(count))]
    y_ticks = [ChartTick(position=y(value), label=_axis_label(value)) for value in sorted({0, y_max // 2, y_max})]
    return Chart(width=width, height=height, left=left, top=top, right=right, bottom=bottom, series=drawn,
                 x_ticks=x_ticks, y_ticks=y_ticks, rows=rows, bucket=bucket, empty=not count, title=str(title),
                 axis_label=str(axis_label), empty_text=str(empty_text), bars=rects, totals=totals)


def timeline_chart(points: list[TimelinePoint], *, bucket: str = "hour", width: int = 720,
                   height: int = 260) -> Chart:
    """A campaign's figures over time (``line_chart``): a line per series; by the hour, the date
    is written on the time axis where it changes only ("11/20 09:00", "12:00", ...)."""
    fmt = "n/j H:i" if bucket == "hour" else "n/j"
    labels = [date_format(point.at, fmt) for point in points]
    ticks, last_day = list(labels), None
    for i in range(0, len(points), _tick_every(len(points))):  # the positions the axis labels
        day = points[i].at.date()
        ticks[i] = labels[i] if bucket != "hour" or day != last_day else date_format(points[i].at, "H:i")
        last_day = day
    if bucket == "hour":
        title, axis = _("Sent, opened, clicked and converted per hour"), pgettext("chart axis", "Hour")
    else:
        title, axis = _("Sent, opened, clicked and converted per day"), pgettext("chart axis", "Day")
    return line_chart(labels, [(name, SERIES_LABELS[name], [getattr(point, name) for point in points])
                               for name in SERIES], tick_labels=ticks, title=title, axis_label=axis, bucket=bucket,
                      empty_text=_("Nothing has been sent yet: the chart appears with the first messages."),
                      width=width, height=height)


def campaign_chart(campaign: Campaign, *, bucket: str = "") -> Chart:
    """The results page's chart of ``campaign`` (``bucket`` empty: ``timeline_bucket``)."""
    bucket = bucket or timeline_bucket(campaign)
    return timeline_chart(campaign_timeline(campaign, bucket=bucket), bucket=bucket)
